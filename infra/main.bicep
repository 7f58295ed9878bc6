// Entry point for `azd up`: one resource group holding the Flex Consumption function app and what it needs,
// plus the app's grants on the registries and vaults it manages (which may live in other resource groups).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds the unique resource names.')
param environmentName string

@minLength(1)
@description('Region for every resource. It must offer the Flex Consumption plan.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('AZURE_SUBSCRIPTION_IDS: comma-separated subscriptions the app manages. Empty means the deployment subscription.')
param managedSubscriptionIds string = ''

@description('ALLOWED_VAULTS: comma-separated vault names secret URIs may point at. Empty allows any vault of the cloud.')
param allowedVaults string = ''

@description('REQUIRED_CALLER_ROLE: Entra ID app role HTTP callers must hold. Empty requires only the function key.')
param requiredCallerRole string = ''

@description('Resource IDs of the container registries the app manages; the app gets its operator role on each.')
param registryResourceIds array = []

@description('Resource IDs of the Key Vaults holding upstream credentials; each gets the app\'s grant-management roles and a system topic feeding on_keyvault_event.')
param vaultResourceIds array = []

@description('A source has only one system topic: map a source resource ID (a vault, or /subscriptions/{id}) to the resource ID of its existing system topic to reuse it (it needs a system-assigned identity).')
param existingSystemTopicIds object = {}

@description('Example subscriber of the health topic: deliver every flag to the Storage queue `health-flags`.')
param enableHealthFlagsQueue bool = false

@description('Upper bound of Flex Consumption instances.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory of each Flex Consumption instance.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

// System topics are provisioned here; their event subscriptions need the functions to exist, so the azd
// `postdeploy` hook (infra/hooks/) deploys infra/events/main.bicep after the code, from the outputs below.

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}'
var deadLetterContainerName = 'eventgrid-deadletter'
var healthFlagsQueueName = enableHealthFlagsQueue ? 'health-flags' : ''
var subscriptionSourceId = subscription().id
var managedSubscriptions = split(
  empty(managedSubscriptionIds) ? subscription().subscriptionId : managedSubscriptionIds,
  ','
)

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
  }
}

module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    location: location
    tags: tags
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'st${resourceToken}'
    deploymentContainerName: deploymentContainerName
    deadLetterContainerName: deadLetterContainerName
    healthFlagsQueueName: healthFlagsQueueName
  }
}

module healthTopic 'modules/health-topic.bicep' = {
  name: 'health-topic'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'evgt-health-${resourceToken}'
    storageAccountName: storage.outputs.name
    flagsQueueName: healthFlagsQueueName
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    location: location
    tags: tags
    planName: 'plan-${resourceToken}'
    appName: functionAppName
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}${deploymentContainerName}'
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    healthTopicEndpoint: healthTopic.outputs.endpoint
    managedSubscriptionIds: join(managedSubscriptions, ',')
    allowedVaults: allowedVaults
    requiredCallerRole: requiredCallerRole
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
}

module appAccess 'modules/app-access.bicep' = {
  name: 'app-access'
  scope: rg
  params: {
    principalId: functionApp.outputs.principalId
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    healthTopicName: healthTopic.outputs.name
  }
}

module appRoles 'modules/app-roles.bicep' = {
  name: 'app-roles'
  params: {
    environmentName: environmentName
    subscriptionIds: [for id in managedSubscriptions: trim(id)]
  }
}

// The inventory role at each managed subscription; writes per target below.
module subscriptionAccess 'modules/subscription-access.bicep' = [
  for id in managedSubscriptions: {
    name: 'subscription-access-${uniqueString(trim(id), environmentName)}'
    scope: subscription(trim(id))
    params: {
      principalId: functionApp.outputs.principalId
      inventoryRoleId: appRoles.outputs.inventoryRoleId
    }
  }
]

// Per-target grants run as deployments at each target's own resource group (any subscription of the tenant).
module registryAccess 'modules/registry-access.bicep' = [
  for registryId in registryResourceIds: {
    name: 'registry-access-${uniqueString(registryId)}'
    scope: resourceGroup(split(registryId, '/')[2], split(registryId, '/')[4])
    params: {
      registryName: last(split(registryId, '/'))
      principalId: functionApp.outputs.principalId
      operatorRoleId: appRoles.outputs.operatorRoleId
    }
  }
]

module vaultAccess 'modules/vault-access.bicep' = [
  for vaultId in vaultResourceIds: {
    name: 'vault-access-${uniqueString(vaultId)}'
    scope: resourceGroup(split(vaultId, '/')[2], split(vaultId, '/')[4])
    params: {
      vaultName: last(split(vaultId, '/'))
      principalId: functionApp.outputs.principalId
      operatorRoleId: appRoles.outputs.operatorRoleId
    }
  }
]

resource vaults 'Microsoft.KeyVault/vaults@2023-07-01' existing = [
  for vaultId in vaultResourceIds: {
    name: last(split(vaultId, '/'))
    scope: resourceGroup(split(vaultId, '/')[2], split(vaultId, '/')[4])
  }
]

// Where each system topic lives: the existing one when reused, else a new one in the source's resource group.
var vaultTopicIds = [
  for vaultId in vaultResourceIds: contains(existingSystemTopicIds, vaultId) ? existingSystemTopicIds[vaultId] : '/subscriptions/${split(vaultId, '/')[2]}/resourceGroups/${split(vaultId, '/')[4]}/providers/Microsoft.EventGrid/systemTopics/evgst-kv-${last(split(vaultId, '/'))}'
]
var resourcesTopicId = contains(existingSystemTopicIds, subscriptionSourceId) ? existingSystemTopicIds[subscriptionSourceId] : '${rg.id}/providers/Microsoft.EventGrid/systemTopics/evgst-resources-${resourceToken}'

// One system topic per watched vault, in the vault's region.
module vaultTopics 'modules/system-topic.bicep' = [
  for (vaultId, i) in vaultResourceIds: {
    name: 'kv-topic-${uniqueString(vaultId)}'
    scope: resourceGroup(split(vaultTopicIds[i], '/')[2], split(vaultTopicIds[i], '/')[4])
    params: {
      name: last(split(vaultTopicIds[i], '/'))
      location: vaults[i].location
      tags: tags
      sourceId: vaultId
      topicType: 'Microsoft.KeyVault.vaults'
      reuse: contains(existingSystemTopicIds, vaultId)
    }
  }
]

// The deployment subscription's Resources events (credential sets, cache rules, registries written or deleted).
module subscriptionTopic 'modules/system-topic.bicep' = {
  name: 'resources-topic'
  scope: resourceGroup(split(resourcesTopicId, '/')[4])
  params: {
    name: last(split(resourcesTopicId, '/'))
    tags: tags
    sourceId: subscriptionSourceId
    topicType: 'Microsoft.Resources.Subscriptions'
    reuse: contains(existingSystemTopicIds, subscriptionSourceId)
  }
}

// Each topic's identity may write dead-lettered events to the dead-letter container, nothing else.
module resourcesDeadLetterAccess 'modules/deadletter-access.bicep' = {
  name: 'deadletter-access-resources'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    containerName: deadLetterContainerName
    principalId: subscriptionTopic.outputs.principalId
  }
}

module vaultDeadLetterAccess 'modules/deadletter-access.bicep' = [
  for (vaultId, i) in vaultResourceIds: {
    name: 'deadletter-access-${uniqueString(vaultId)}'
    scope: rg
    params: {
      storageAccountName: storage.outputs.name
      containerName: deadLetterContainerName
      principalId: vaultTopics[i].outputs.principalId
    }
  }
]

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_PRINCIPAL_ID string = functionApp.outputs.principalId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output HEALTH_TOPIC_ENDPOINT string = healthTopic.outputs.endpoint
// Read by the postdeploy hook to create the event subscriptions (infra/events/main.bicep).
output AZURE_FUNCTION_APP_ID string = functionApp.outputs.id
output EVENTGRID_KEYVAULT_TOPIC_IDS array = [for (vaultId, i) in vaultResourceIds: vaultTopics[i].outputs.id]
output EVENTGRID_RESOURCES_TOPIC_ID string = subscriptionTopic.outputs.id
output EVENTGRID_DEADLETTER_STORAGE_ID string = storage.outputs.id
output EVENTGRID_DEADLETTER_CONTAINER string = deadLetterContainerName
output SERVICE_API_NAME string = functionApp.outputs.name
output SERVICE_API_URI string = functionApp.outputs.uri
output SERVICE_API_ENDPOINTS array = [
  '${functionApp.outputs.uri}/api'
]
