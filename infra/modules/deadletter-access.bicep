// Lets each system topic's managed identity write dead-lettered events to the dead-letter container, and nothing
// else of the storage account (Storage Blob Data Contributor at the container).
import { roleDefinitionIds } from 'role-definitions.bicep'

param storageAccountName string
param containerName string
@description('Managed identity principal ID of a system topic.')
param principalId string

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource container 'containers' existing = {
      name: containerName
    }
  }
}

resource grant 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account::blobService::container.id, principalId, roleDefinitionIds.storageBlobDataContributor)
  scope: account::blobService::container
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roleDefinitionIds.storageBlobDataContributor
    )
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'acr-cache-autopilot: Event Grid dead-lettering'
  }
}
