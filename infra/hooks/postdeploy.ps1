# azd postdeploy hook (PowerShell): subscribe the deployed functions to the system topics made by `azd provision`.
# Event Grid validates an AzureFunction endpoint when the subscription is made, so this runs after the code is
# deployed. The ARM deployment is declarative: running it again changes nothing (idempotent).
# Inputs are the outputs of infra/main.bicep, which azd puts in the environment of its hooks.
$ErrorActionPreference = 'Stop'

$required = 'AZURE_ENV_NAME', 'AZURE_LOCATION', 'AZURE_FUNCTION_APP_ID', 'EVENTGRID_RESOURCES_TOPIC_ID',
    'EVENTGRID_DEADLETTER_STORAGE_ID', 'EVENTGRID_DEADLETTER_CONTAINER'
foreach ($name in $required) {
    if (-not [Environment]::GetEnvironmentVariable($name)) {
        throw "postdeploy: $name is not set; run 'azd provision' first"
    }
}

$keyVaultTopics = if ($env:EVENTGRID_KEYVAULT_TOPIC_IDS) { $env:EVENTGRID_KEYVAULT_TOPIC_IDS | ConvertFrom-Json } else { @() }
$parameters = @{
    '$schema'      = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#'
    contentVersion = '1.0.0.0'
    parameters     = @{
        functionAppId       = @{ value = $env:AZURE_FUNCTION_APP_ID }
        keyVaultTopicIds    = @{ value = @($keyVaultTopics) }
        resourcesTopicId    = @{ value = $env:EVENTGRID_RESOURCES_TOPIC_ID }
        deadLetterStorageId = @{ value = $env:EVENTGRID_DEADLETTER_STORAGE_ID }
        deadLetterContainer = @{ value = $env:EVENTGRID_DEADLETTER_CONTAINER }
    }
}
$file = New-TemporaryFile
try {
    $parameters | ConvertTo-Json -Depth 5 | Set-Content -Path $file -Encoding utf8
    Write-Host "postdeploy: creating the Event Grid subscriptions of $env:AZURE_FUNCTION_APP_ID"
    az deployment sub create `
        --name "event-subscriptions-$env:AZURE_ENV_NAME" `
        --location $env:AZURE_LOCATION `
        --template-file (Join-Path $PSScriptRoot '..' 'events' 'main.bicep') `
        --parameters "@$file" `
        --only-show-errors `
        --output none
    if ($LASTEXITCODE -ne 0) { throw "postdeploy: az deployment sub create failed ($LASTEXITCODE)" }
    Write-Host 'postdeploy: event subscriptions are in place'
}
finally {
    Remove-Item -Path $file -Force
}
