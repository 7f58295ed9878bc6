"""A create's long-running operation polled to its end without the SDK's final GET of the resource.

ARM answers a create with 201, the resource in the body (a credential set's identity included: the
``CredentialSetCreate`` example) and ``Azure-AsyncOperation``. azure-core polls that status to its end and then
GETs the resource again; the app needs nothing that GET adds: the status said Succeeded (a Failed or Canceled
one raises), so the 201 body with that state is the resource as created. Imported only by the calls that use
it, so a cold start loads no SDK module for it.
"""

from __future__ import annotations

from typing import Any

from azure.core.polling.base_polling import LocationPolling, StatusCheckPolling
from azure.mgmt.core.polling.arm_polling import ARMPolling, AzureAsyncOperationPolling, BodyContentPolling


class _StatusOnly(AzureAsyncOperationPolling[Any, Any]):
    """``Azure-AsyncOperation`` polling that ends at the status of a PUT, without a final GET."""

    def __init__(self) -> None:
        super().__init__()
        self.method = ""
        self.skipped_final_get = False

    def set_initial_status(self, pipeline_response: Any) -> str:
        self.method = pipeline_response.http_response.request.method
        status: str = super().set_initial_status(pipeline_response)
        return status

    def get_final_get_url(self, pipeline_response: Any) -> str | None:
        if self.method == "PUT":
            self.skipped_final_get = True
            return None
        url: str | None = super().get_final_get_url(pipeline_response)
        return url


class CreatePolling(ARMPolling):
    """ARM polling for a PUT that answers the 201 body once ``Azure-AsyncOperation`` says Succeeded.

    Other answers (200 with the resource, a body-polled or ``Location`` operation) are polled as the SDK does.
    """

    def __init__(self, interval: float) -> None:
        self._status_only = _StatusOnly()
        super().__init__(
            interval,
            lro_algorithms=[self._status_only, LocationPolling(), BodyContentPolling(), StatusCheckPolling()],
        )
        self._created: Any = None

    def initialize(self, client: Any, initial_response: Any, deserialization_callback: Any) -> None:
        self._created = initial_response
        super().initialize(client, initial_response, deserialization_callback)

    def resource(self) -> Any:
        if self._status_only.skipped_final_get:
            return self._parse_resource(self._created)
        return super().resource()

    @property
    def answered_by_put(self) -> bool:
        """The resource is the PUT's own answer: its ``provisioningState`` predates the status poll's end."""
        return bool(self._status_only.skipped_final_get)
