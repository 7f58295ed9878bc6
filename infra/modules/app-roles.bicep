// The app's custom roles, one pair per azd environment, assignable in every subscription the app manages.
// Their actions live in role-definitions.bicep beside the built-in role IDs.
targetScope = 'subscription'

import { appInventoryActions, appOperatorActions } from 'role-definitions.bicep'

param environmentName string
@description('Subscription IDs the app manages (the roles must be assignable there).')
param subscriptionIds array

var assignableScopes = [for id in subscriptionIds: '/subscriptions/${id}']

resource inventory 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, environmentName, 'acr-cache-autopilot-inventory')
  properties: {
    roleName: 'ACR Cache Autopilot Inventory (${environmentName})'
    description: 'Reads registries, cache rules, credential sets and vaults for the acr-cache-autopilot sweep.'
    type: 'CustomRole'
    assignableScopes: assignableScopes
    permissions: [
      {
        actions: appInventoryActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource operator 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, environmentName, 'acr-cache-autopilot-operator')
  properties: {
    roleName: 'ACR Cache Autopilot Operator (${environmentName})'
    description: 'Writes cache rules and credential sets, and vault access policies for credential-set identities.'
    type: 'CustomRole'
    assignableScopes: assignableScopes
    permissions: [
      {
        actions: appOperatorActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

output inventoryRoleId string = inventory.name
output operatorRoleId string = operator.name
