"""The pipeline policy behind :mod:`shared.azure.metering`; a module of its own so importing the meter stays SDK-free."""

from __future__ import annotations

from typing import Any

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import SansIOHTTPPolicy

from shared.azure.metering import observe


class MeterPolicy(SansIOHTTPPolicy[Any, Any]):
    """Per-retry policy: each attempt, retries included, is counted with the budget headers of its answer."""

    def on_response(self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]) -> None:
        answer = response.http_response
        observe(str(request.http_request.url), answer.status_code, answer.headers)
