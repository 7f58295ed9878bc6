// Built-in role definition IDs (the same GUIDs in every subscription of every public cloud) and the ARM actions of
// the app's custom role, in one place. The emulator's enforcing mode (emulator/enforcement.py) reads this file.

@export()
@description('Built-in Azure role definition GUIDs used by this deployment.')
var roleDefinitionIds = {
  keyVaultReader: '21090545-7ca7-4776-b22c-e363652d74d2'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  roleBasedAccessControlAdministrator: 'f58310d9-a9f6-439a-9e8d-f62e7b41a168'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageQueueDataMessageSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  eventGridDataSender: 'd5a91429-5739-47e2-a06b-3470a27159e7'
}

// The app's two custom roles hold exactly the ARM calls of shared/azure/ (each line names the SDK call it serves):
// the inventory reads at each managed subscription (the sweep lists every registry and vault there), the writes only
// at each registry and vault the deployment names. Key Vault Reader and the conditioned RBAC Administrator complete
// the vault side (vault-access.bicep).
@export()
@description('ARM actions of the inventory role, assigned at each managed subscription.')
var appInventoryActions = [
  // registries.list, cache_rules.list, credential_sets.list: the inventory of the sweep and of name lookups
  'Microsoft.ContainerRegistry/registries/read'
  'Microsoft.ContainerRegistry/registries/cacheRules/read'
  'Microsoft.ContainerRegistry/registries/credentialSets/read'
  // deletes answer 202 + Location under Microsoft.ContainerRegistry/locations/operationResults (polled until done)
  'Microsoft.ContainerRegistry/locations/operationResults/read'
  // vaults.list_by_subscription / vaults.get: permission model and access policies
  'Microsoft.KeyVault/vaults/read'
]

@export()
@description('ARM actions of the operator role, assigned at each managed registry and vault.')
var appOperatorActions = [
  // cache_rules.begin_create / begin_update / begin_delete and their Azure-AsyncOperation polls
  'Microsoft.ContainerRegistry/registries/cacheRules/write'
  'Microsoft.ContainerRegistry/registries/cacheRules/delete'
  'Microsoft.ContainerRegistry/registries/cacheRules/operationStatuses/read'
  // credential_sets.begin_create / begin_update / begin_delete and their polls
  'Microsoft.ContainerRegistry/registries/credentialSets/write'
  'Microsoft.ContainerRegistry/registries/credentialSets/delete'
  'Microsoft.ContainerRegistry/registries/credentialSets/operationStatuses/read'
  // vaults.update_access_policy add/remove: secret get for a credential set's identity (access-policy vaults)
  'Microsoft.KeyVault/vaults/accessPolicies/write'
]
// Not here because a built-in role already grants them at the vault: role_assignments.list_for_scope
// (Microsoft.Authorization/roleAssignments/read: Key Vault Reader) and role assignment write/delete (RBAC
// Administrator, conditioned).
