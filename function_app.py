"""The Functions app: registers the blueprints and nothing else (v2 programming model)."""

import azure.functions as func

from functions.http_api import bp as http_api
from functions.keyvault_events import bp as keyvault_events
from functions.resource_events import bp as resource_events
from functions.sweep import bp as sweep

app = func.FunctionApp()
app.register_functions(http_api)
app.register_functions(keyvault_events)
app.register_functions(resource_events)
app.register_functions(sweep)
