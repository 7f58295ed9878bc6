// Grants the function app's identity what its own resource group holds for it: host storage (blobs incl. the
// deployment package, queues, tables for app state), telemetry ingestion, and publishing health flags.
import { roleDefinitionIds } from 'role-definitions.bicep'

param principalId string
param storageAccountName string
param applicationInsightsName string
param healthTopicName string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource healthTopic 'Microsoft.EventGrid/topics@2025-02-15' existing = {
  name: healthTopicName
}

var storageRoles = [
  roleDefinitionIds.storageBlobDataOwner
  roleDefinitionIds.storageQueueDataContributor
  roleDefinitionIds.storageTableDataContributor
]

resource storageGrants 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: {
    name: guid(storage.id, principalId, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource telemetryGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, roleDefinitionIds.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roleDefinitionIds.monitoringMetricsPublisher
    )
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource topicSenderGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(healthTopic.id, principalId, roleDefinitionIds.eventGridDataSender)
  scope: healthTopic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds.eventGridDataSender)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
