// The function host's storage (AzureWebJobsStorage, app state tables) and the Flex Consumption deployment
// container. Shared keys are disabled: every client, the host included, authenticates with Entra ID.
param location string
param tags object = {}
@minLength(3)
@maxLength(24)
param name string
param deploymentContainerName string
@description('Container Event Grid dead-letters undeliverable events to (through each topic\'s managed identity).')
param deadLetterContainerName string
@description('Queue the optional example subscriber of the health topic delivers flags to (empty: none).')
param healthFlagsQueueName string = ''

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }

    resource deadLetterContainer 'containers' = {
      name: deadLetterContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }
}

resource healthFlagsQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = if (!empty(healthFlagsQueueName)) {
  name: '${account.name}/default/${healthFlagsQueueName}'
}

output name string = account.name
output id string = account.id
output blobEndpoint string = account.properties.primaryEndpoints.blob
