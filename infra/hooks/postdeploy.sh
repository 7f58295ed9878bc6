#!/bin/sh
# azd postdeploy hook (POSIX): subscribe the deployed functions to the system topics made by `azd provision`.
# Event Grid validates an AzureFunction endpoint when the subscription is made, so this runs after the code is
# deployed. The ARM deployment is declarative: running it again changes nothing (idempotent).
# Inputs are the outputs of infra/main.bicep, which azd puts in the environment of its hooks.
set -eu

for name in AZURE_ENV_NAME AZURE_LOCATION AZURE_FUNCTION_APP_ID EVENTGRID_RESOURCES_TOPIC_ID \
    EVENTGRID_DEADLETTER_STORAGE_ID EVENTGRID_DEADLETTER_CONTAINER; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "postdeploy: $name is not set; run 'azd provision' first" >&2
    exit 1
  fi
done

here=$(cd "$(dirname "$0")" && pwd)
params=$(mktemp)
trap 'rm -f "$params"' EXIT
cat >"$params" <<JSON
{
  "\$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "functionAppId": {"value": "$AZURE_FUNCTION_APP_ID"},
    "keyVaultTopicIds": {"value": ${EVENTGRID_KEYVAULT_TOPIC_IDS:-[]}},
    "resourcesTopicId": {"value": "$EVENTGRID_RESOURCES_TOPIC_ID"},
    "deadLetterStorageId": {"value": "$EVENTGRID_DEADLETTER_STORAGE_ID"},
    "deadLetterContainer": {"value": "$EVENTGRID_DEADLETTER_CONTAINER"}
  }
}
JSON

echo "postdeploy: creating the Event Grid subscriptions of $AZURE_FUNCTION_APP_ID"
az deployment sub create \
  --name "event-subscriptions-$AZURE_ENV_NAME" \
  --location "$AZURE_LOCATION" \
  --template-file "$here/../events/main.bicep" \
  --parameters "@$params" \
  --only-show-errors \
  --output none
echo "postdeploy: event subscriptions are in place"
