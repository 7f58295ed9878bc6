"""Structured log lines Application Insights can query, through the standard ``logging`` module.

The Functions Python worker forwards only a record's message to Application Insights, so each event is written as
``<event> {json}``: ``traces | extend d = parse_json(substring(message, indexof(message, "{")))`` recovers the
dimensions in KQL. The same dimensions ride along as ``extra`` for handlers that read record attributes
(OpenTelemetry exporters turn them into customDimensions). Values are identifiers only: never a secret, token or key.
"""

from __future__ import annotations

import json
import logging
from typing import Any

# Azure SDK request/response dumps at INFO drown the app's own events and cost ingestion.
_NOISY = ("azure.core.pipeline.policies.http_logging_policy", "azure.identity", "msal", "urllib3")


def event(
    logger: logging.Logger, level: int, name: str, *, exc_info: bool = False, **dimensions: Any
) -> None:
    if not logger.isEnabledFor(level):
        return
    payload = json.dumps(dimensions, default=str, sort_keys=True, separators=(",", ":"))
    logger.log(level, "%s %s", name, payload, exc_info=exc_info, extra={"event": name, **dimensions})


def quiet_sdk_loggers(level: int = logging.WARNING) -> None:
    for name in _NOISY:
        logging.getLogger(name).setLevel(level)
