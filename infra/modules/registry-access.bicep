// Deployed at a managed registry's resource group: the operator role on the registry lets the app write cache
// rules and credential sets (reads come from the inventory role at the subscription).
param registryName string
param principalId string
@description('GUID of the custom operator role (app-roles.bicep).')
param operatorRoleId string

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource operatorGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, principalId, operatorRoleId)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', operatorRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'acr-cache-autopilot: manage cache rules and credential sets'
  }
}
