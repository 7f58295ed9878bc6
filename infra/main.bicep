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

@description('Resource IDs of the container registries the app manages; the app gets Contributor on each.')
param registryResourceIds array = []

@description('Resource IDs of the Key Vaults holding upstream credentials; the app gets the grant-management roles on each.')
param vaultResourceIds array = []

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

// Event Grid system topic subscriptions (Key Vault and subscription resource events feeding on_keyvault_event and
// on_resource_event) are deliberately not here yet: they come with a later issue.

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}'

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

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'st${resourceToken}'
    deploymentContainerName: deploymentContainerName
  }
}

module healthTopic 'modules/health-topic.bicep' = {
  name: 'health-topic'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'evgt-health-${resourceToken}'
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
    managedSubscriptionIds: empty(managedSubscriptionIds) ? subscription().subscriptionId : managedSubscriptionIds
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

// Per-target grants run as deployments at each target's own resource group (any subscription of the tenant).
module registryAccess 'modules/registry-access.bicep' = [
  for registryId in registryResourceIds: {
    name: 'registry-access-${uniqueString(registryId)}'
    scope: resourceGroup(split(registryId, '/')[2], split(registryId, '/')[4])
    params: {
      registryName: last(split(registryId, '/'))
      principalId: functionApp.outputs.principalId
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
output SERVICE_API_NAME string = functionApp.outputs.name
output SERVICE_API_URI string = functionApp.outputs.uri
output SERVICE_API_ENDPOINTS array = [
  '${functionApp.outputs.uri}/api'
]
