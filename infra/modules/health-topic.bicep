// Custom Event Grid topic the app publishes health flags to (CloudEvents 1.0). Access keys are disabled:
// the app publishes with its managed identity (role EventGrid Data Sender, granted in app-access.bicep).
// Optional example subscriber (off by default): every flag is delivered to a Storage queue through the topic's
// managed identity, where an alert, a Logic App or a script can pick it up.
import { roleDefinitionIds } from 'role-definitions.bicep'

param location string
param tags object = {}
param name string
@description('Storage account holding the example subscriber\'s queue.')
param storageAccountName string
@description('Queue of the example subscriber; empty leaves the topic without subscriber.')
param flagsQueueName string = ''

var withSubscriber = !empty(flagsQueueName)

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource queueSenderGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (withSubscriber) {
  name: guid(account.id, topic.id, roleDefinitionIds.storageQueueDataMessageSender)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roleDefinitionIds.storageQueueDataMessageSender
    )
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
    description: 'acr-cache-autopilot: health topic delivers flags to the example subscriber queue'
  }
}

resource flagsToQueue 'Microsoft.EventGrid/topics/eventSubscriptions@2025-02-15' = if (withSubscriber) {
  parent: topic
  name: 'flags-to-queue'
  dependsOn: [
    queueSenderGrant
  ]
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    deliveryWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      destination: {
        endpointType: 'StorageQueue'
        properties: {
          resourceId: account.id
          queueName: flagsQueueName
          queueMessageTimeToLiveInSeconds: 604800
        }
      }
    }
    filter: {
      includedEventTypes: [
        'ArtifactCache.RuleUnhealthy'
        'ArtifactCache.RuleRecovered'
        'ArtifactCache.SecretExpiring'
        'ArtifactCache.CredentialSetRotated'
        'ArtifactCache.AccessGranted'
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output name string = topic.name
output endpoint string = topic.properties.endpoint
