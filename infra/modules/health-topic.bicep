// Custom Event Grid topic the app publishes health flags to (CloudEvents 1.0). Access keys are disabled:
// the app publishes with its managed identity (role EventGrid Data Sender, granted in app-access.bicep).
param location string
param tags object = {}
param name string

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

output name string = topic.name
output endpoint string = topic.properties.endpoint
