// Event subscriptions from the system topics to the function app, deployed by the azd `postdeploy` hook: Event Grid
// validates an AzureFunction endpoint when the subscription is made, so the functions must exist first. An ARM
// deployment is declarative: running the hook again converges to the same subscriptions (idempotent).
targetScope = 'subscription'

@description('Resource ID of the function app (output AZURE_FUNCTION_APP_ID of infra/main.bicep).')
param functionAppId string
@description('Resource IDs of the Key Vault system topics (output EVENTGRID_KEYVAULT_TOPIC_IDS).')
param keyVaultTopicIds array = []
@description('Resource ID of the subscription\'s Resources system topic (output EVENTGRID_RESOURCES_TOPIC_ID).')
param resourcesTopicId string
@description('Storage account receiving dead-lettered events (output EVENTGRID_DEADLETTER_STORAGE_ID).')
param deadLetterStorageId string
param deadLetterContainer string = 'eventgrid-deadletter'

// What on_keyvault_event acts on (DESIGN.md: rotation, expiry, access changes).
var keyVaultEventTypes = [
  'Microsoft.KeyVault.SecretNewVersionCreated'
  'Microsoft.KeyVault.SecretNearExpiry'
  'Microsoft.KeyVault.SecretExpired'
  'Microsoft.KeyVault.VaultAccessPolicyChanged'
]

// What on_resource_event acts on: credential sets and cache rules written or deleted, registries deleted.
var resourceEventTypes = [
  'Microsoft.Resources.ResourceWriteSuccess'
  'Microsoft.Resources.ResourceDeleteSuccess'
]
var resourceOperations = [
  'Microsoft.ContainerRegistry/registries/credentialSets/write'
  'Microsoft.ContainerRegistry/registries/credentialSets/delete'
  'Microsoft.ContainerRegistry/registries/cacheRules/write'
  'Microsoft.ContainerRegistry/registries/cacheRules/delete'
  'Microsoft.ContainerRegistry/registries/delete'
]

module keyVaultSubscriptions 'event-subscription.bicep' = [
  for topicId in keyVaultTopicIds: {
    name: 'evgs-kv-${uniqueString(topicId)}'
    scope: resourceGroup(split(topicId, '/')[2], split(topicId, '/')[4])
    params: {
      topicName: last(split(topicId, '/'))
      name: 'on-keyvault-event'
      functionResourceId: '${functionAppId}/functions/on_keyvault_event'
      includedEventTypes: keyVaultEventTypes
      advancedFilters: []
      deadLetterStorageId: deadLetterStorageId
      deadLetterContainer: deadLetterContainer
    }
  }
]

module resourceSubscription 'event-subscription.bicep' = {
  name: 'evgs-resources'
  scope: resourceGroup(split(resourcesTopicId, '/')[2], split(resourcesTopicId, '/')[4])
  params: {
    topicName: last(split(resourcesTopicId, '/'))
    name: 'on-resource-event'
    functionResourceId: '${functionAppId}/functions/on_resource_event'
    includedEventTypes: resourceEventTypes
    advancedFilters: [
      {
        operatorType: 'StringIn'
        key: 'data.operationName'
        values: resourceOperations
      }
    ]
    deadLetterStorageId: deadLetterStorageId
    deadLetterContainer: deadLetterContainer
  }
}
