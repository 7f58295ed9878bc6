// On an access-policy vault, Key Vault Reader does not reach the data plane: the app's identity needs the
// secret `list` permission to read secret attributes (enabled, exp, versions). `list` never returns values.
param vaultName string
@description('Tenant of the vault (its access policies name principals of this tenant).')
param vaultTenantId string
param principalId string
@description('The vault uses Azure RBAC for its data plane; access policies would be ignored there.')
param rbacAuthorization bool

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

// `add` merges this entry into the vault's policies; it never replaces the policies already there.
resource listPolicy 'Microsoft.KeyVault/vaults/accessPolicies@2023-07-01' = if (!rbacAuthorization) {
  parent: vault
  name: 'add'
  properties: {
    accessPolicies: [
      {
        tenantId: vaultTenantId
        objectId: principalId
        permissions: {
          secrets: [
            'list'
          ]
        }
      }
    ]
  }
}
