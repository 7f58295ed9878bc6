// Flex Consumption (FC1) Linux plan and the Python 3.11 function app with a system-assigned identity.
// Every connection is identity-based: host storage, the deployment package container, Application Insights,
// and the health topic. FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION are not app settings on Flex
// Consumption (functionAppConfig.runtime replaces them).
param location string
param tags object = {}
param planName string
param appName string
param storageAccountName string
@description('https URL of the blob container holding the deployment package.')
param deploymentContainerUrl string
param applicationInsightsConnectionString string
param healthTopicEndpoint string
param managedSubscriptionIds string
param allowedVaults string
param requiredCallerRole string
param maximumInstanceCount int = 100
param instanceMemoryMB int = 2048

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  // azd finds the resource to deploy service `api` to by this tag.
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      http20Enabled: true
      ftpsState: 'Disabled'
      appSettings: [
        // Identity-based host storage: the system-assigned identity is the default credential.
        {
          name: 'AzureWebJobsStorage__accountName'
          value: storageAccountName
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: applicationInsightsConnectionString
        }
        // Telemetry authenticates with the system-assigned identity (Monitoring Metrics Publisher).
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'Authorization=AAD'
        }
        // The cloud the deployment runs in (AzureCloud, AzureChinaCloud, AzureUSGovernment): endpoints and suffixes.
        {
          name: 'AZURE_CLOUD'
          value: environment().name
        }
        {
          name: 'AZURE_TENANT_ID'
          value: tenant().tenantId
        }
        {
          name: 'AZURE_SUBSCRIPTION_IDS'
          value: managedSubscriptionIds
        }
        {
          name: 'ALLOWED_VAULTS'
          value: allowedVaults
        }
        {
          name: 'REQUIRED_CALLER_ROLE'
          value: requiredCallerRole
        }
        {
          name: 'STATE_TABLE_PREFIX'
          value: 'acrcache'
        }
        // No HEALTH_TOPIC_KEY: the topic has local auth disabled; the app publishes with its identity.
        {
          name: 'HEALTH_TOPIC_ENDPOINT'
          value: healthTopicEndpoint
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

output name string = app.name
output id string = app.id
output principalId string = app.identity.principalId
output uri string = 'https://${app.properties.defaultHostName}'
