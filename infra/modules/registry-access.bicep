// Deployed at a managed registry's resource group: Contributor on the registry lets the app write cache rules
// and credential sets (and read them for the sweep).
import { roleDefinitionIds } from 'role-definitions.bicep'

param registryName string
param principalId string

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource contributorGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, principalId, roleDefinitionIds.contributor)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds.contributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'acr-cache-autopilot: manage cache rules and credential sets'
  }
}
