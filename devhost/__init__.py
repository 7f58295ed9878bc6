"""Local stand-in for the Azure Functions host: serves function_app.py with Core Tools' URLs.

Core Tools (`func start`) cannot be installed offline, so this package loads the app the way the
Python worker does (import function_app.py, index every module-level `func.FunctionApp`) and
exposes HTTP, Event Grid, admin and timer triggers at the same URLs and with the same semantics.
"""
