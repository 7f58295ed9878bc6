// An Event Grid system topic for one source (a Key Vault, or the subscription's Resources events), deployed in the
// resource group it lives in. A source can have only one system topic: with `reuse`, the existing topic of that
// name is used instead (it needs a system-assigned identity, the dead-lettering credential).
param name string
@description('Region of the source (`global` for a subscription).')
param location string = 'global'
param tags object = {}
@description('Resource ID of the event source.')
param sourceId string
@allowed([
  'Microsoft.KeyVault.vaults'
  'Microsoft.Resources.Subscriptions'
])
param topicType string
@description('Use the existing system topic `name` instead of creating one.')
param reuse bool = false

resource created 'Microsoft.EventGrid/systemTopics@2025-02-15' = if (!reuse) {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: sourceId
    topicType: topicType
  }
}

resource reused 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = if (reuse) {
  name: name
}

output id string = reuse ? reused.id : created.id
output principalId string = reuse ? reused!.identity.principalId : created!.identity.principalId
