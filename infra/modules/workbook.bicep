// Azure Monitor workbook over the app's Application Insights: flags over time, rotations, sweep cost and duration,
// failures by reason. Its queries read the structured `<Event> {json}` lines of shared/logs.py; the workbook body
// lives in workbook.json so a unit test can check every event it charts is one the code still emits.
param location string
param tags object = {}
param applicationInsightsName string
@description('Shown in the portal under Monitor > Workbooks.')
param displayName string = 'ACR cache autopilot'

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, appInsights.id, 'acr-cache-autopilot-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: appInsights.id
    serializedData: loadTextContent('workbook.json')
  }
}

output workbookId string = workbook.id
