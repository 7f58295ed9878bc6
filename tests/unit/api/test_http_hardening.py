"""Issue 7, items 6 and 7 and the message fixes: bodies nested too deeply or with duplicate names are 400
malformed-body, and Azure's throttling reaches the caller as 429 with Azure's own Retry-After, on reads and writes."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from shared.api.http import ApiRequest, ApiResponse, handle, json_body
from shared.azure.errors import azure_call
from shared.domain.errors import MalformedBody, ProvisioningFailed, Throttled, UpstreamServiceError
from shared.services.rollback import Rollback


def _request(body: bytes) -> ApiRequest:
    return ApiRequest(
        method="PUT",
        path="/api/registries/demoregistry/cache-rules/ubuntu",
        route_params={},
        headers={"content-type": "application/json"},
        params={},
        body=body,
    )


def test_deeply_nested_json_under_the_size_limit_is_malformed_not_a_crash() -> None:
    body = b"[" * 60_000
    with pytest.raises(MalformedBody, match="too deeply"):
        json_body(_request(body), max_bytes=64 * 1024)


def test_duplicate_names_are_refused() -> None:
    body = b'{"sourceRepository": "docker.io/library/ubuntu", "sourceRepository": "docker.io/library/evil"}'
    with pytest.raises(MalformedBody, match="'sourceRepository' appears twice"):
        json_body(_request(body), max_bytes=64 * 1024)


class _Response:
    def __init__(self, status: int, headers: dict[str, str]) -> None:
        self.status_code = status
        self.headers = headers
        self.reason = "Too Many Requests"
        self.request = None

    def text(self) -> str:
        return ""


def _azure_error(status: int, headers: dict[str, str]) -> HttpResponseError:
    error = HttpResponseError(message="throttled", response=_Response(status, headers))  # type: ignore[arg-type]
    error.status_code = status
    return error


def test_azure_429_keeps_its_retry_after() -> None:
    with pytest.raises(Throttled) as caught, azure_call("list cache rules"):
        raise _azure_error(429, {"Retry-After": "2"})
    assert caught.value.retry_after == 2


def _answer(error: Exception) -> ApiResponse:
    def action(request: ApiRequest) -> Any:
        raise error

    return handle(_request(b""), action)


def test_a_throttled_read_is_429_with_azures_retry_after() -> None:
    response = _answer(Throttled("Azure is throttling", retry_after=2))
    assert response.status == 429 and response.headers["Retry-After"] == "2"
    assert response.body["type"].endswith("#throttled")


def test_a_throttled_write_is_429_with_azures_retry_after_and_its_rollback_report() -> None:
    failure = Rollback(step="cacheRule").fail(Throttled("Azure is throttling", retry_after=2))
    assert isinstance(failure, ProvisioningFailed)

    response = _answer(failure)

    assert response.status == 429 and response.headers["Retry-After"] == "2"
    assert response.body["rolledBack"] == [] and response.body["failedStep"] == "cacheRule"


def test_azure_unavailable_says_azures_wait_or_the_documented_default() -> None:
    assert _answer(UpstreamServiceError("500s", retry_after=7)).headers["Retry-After"] == "7"
    assert _answer(UpstreamServiceError("500s")).headers["Retry-After"] == "10"
