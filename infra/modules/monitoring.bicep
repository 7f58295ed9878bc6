// Log Analytics workspace and workspace-based Application Insights; telemetry is accepted only with Entra ID
// tokens (local auth off), so no instrumentation key is ever a credential.
param location string
param tags object = {}
param logAnalyticsName string
param applicationInsightsName string

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

output applicationInsightsName string = appInsights.name
// A locator, not a credential: with DisableLocalAuth the ingestion endpoint demands an Entra ID token.
output applicationInsightsConnectionString string = appInsights.properties.ConnectionString
