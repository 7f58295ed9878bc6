// Deployed at each managed subscription: the inventory role (reads only), so the sweep and name lookups can list
// every registry and vault there. Writes are granted per target (registry-access.bicep, vault-access.bicep).
targetScope = 'subscription'

param principalId string
@description('GUID of the custom inventory role (app-roles.bicep).')
param inventoryRoleId string

resource inventoryGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, inventoryRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', inventoryRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'acr-cache-autopilot: inventory of registries, cache rules, credential sets and vaults'
  }
}
