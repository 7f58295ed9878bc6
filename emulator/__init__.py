"""Local stand-in for the slice of Azure the app uses (ARM, Key Vault, managed identity, Event Grid).

Organised like moto: `arm/` and `dataplane.py` hold thin handlers (routing, parsing, serialising);
`backends/` hold state and enforce each service's rules.
"""
