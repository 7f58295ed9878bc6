"""The HTTP API as framework-neutral handlers: a request in, a response out, errors as RFC 9457 problems.

``functions/`` adapts these to ``azure.functions`` types; keeping them apart keeps the functions thin.
"""
