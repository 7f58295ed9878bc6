// Deployed at a credential vault's resource group. The app grants credential-set identities secret `get` in the
// vault's own permission model and reads secret metadata only, never values:
// - the custom operator role: add/remove access policies (access-policy vaults), nothing else on the vault;
// - Role Based Access Control Administrator, constrained by an ABAC condition to creating and deleting
//   assignments of Key Vault Secrets User for service principals only (RBAC vaults), not User Access Administrator;
// - Key Vault Reader: vault metadata, role assignment reads, and secret metadata (enabled/exp, versions) on RBAC
//   vaults; Key Vault Reader does not reach the data plane of access-policy vaults, which get the equivalent
//   secret `list` policy from vault-metadata-policy.bicep.
import { roleDefinitionIds } from 'role-definitions.bicep'

param vaultName string
param principalId string
@description('GUID of the custom operator role (app-roles.bicep).')
param operatorRoleId string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

// Write side checks the requested assignment, delete side the existing one (Request vs Resource attributes).
var secretsUserOnlyCondition = '''
(
 (
  !(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})
 )
 OR
 (
  @Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {4633458b-17de-408a-b874-0445c86b69e6}
  AND
  @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}
 )
)
AND
(
 (
  !(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})
 )
 OR
 (
  @Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {4633458b-17de-408a-b874-0445c86b69e6}
  AND
  @Resource[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}
 )
)
'''

resource operatorGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, operatorRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', operatorRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'acr-cache-autopilot: manage access policies for credential-set identities'
  }
}

resource secretsUserAssignerGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, roleDefinitionIds.roleBasedAccessControlAdministrator)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roleDefinitionIds.roleBasedAccessControlAdministrator
    )
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'acr-cache-autopilot: assign only Key Vault Secrets User, only to service principals'
    condition: secretsUserOnlyCondition
    conditionVersion: '2.0'
  }
}

resource readerGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, roleDefinitionIds.keyVaultReader)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds.keyVaultReader)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'acr-cache-autopilot: read vault and secret metadata (never values)'
  }
}

// A nested deployment so the vault's permission model, known only at run time, can gate the policy.
module metadataPolicy 'vault-metadata-policy.bicep' = {
  name: 'vault-metadata-policy-${uniqueString(vault.id, principalId)}'
  params: {
    vaultName: vault.name
    vaultTenantId: vault.properties.tenantId
    principalId: principalId
    rbacAuthorization: vault.properties.?enableRbacAuthorization ?? false
  }
}
