// One event subscription of a system topic to one function: endpoint type AzureFunction (the platform calls the
// function with its system key; no key in any template), bounded retries, and dead-lettering to a blob container
// through the topic's managed identity (Event Grid drops undeliverable events unless dead-lettering is set).
param topicName string
param name string
@description('`<function app resource ID>/functions/<function name>`.')
param functionResourceId string
param includedEventTypes array
@description('Event Grid advanced filters, e.g. StringIn on data.operationName.')
param advancedFilters array
param deadLetterStorageId string
param deadLetterContainer string

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: topicName
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: name
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: functionResourceId
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: includedEventTypes
      advancedFilters: advancedFilters
      enableAdvancedFilteringOnArrays: true
    }
    // Event Grid's own schedule (10 s, 30 s, 1 min, 5 min, ...) within a day, then dead-letter.
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorageId
          blobContainerName: deadLetterContainer
        }
      }
    }
  }
}

output id string = subscription.id
