"""Cloud profiles: one place that knows each cloud's endpoints, audiences and DNS suffixes."""

from __future__ import annotations

from dataclasses import dataclass

from shared.config import Settings, SettingsError


@dataclass(frozen=True, kw_only=True, slots=True)
class CloudProfile:
    name: str
    arm_endpoint: str
    arm_audience: str
    authority_host: str
    keyvault_dns_suffix: str
    keyvault_audience: str
    acr_login_suffix: str
    storage_suffix: str = "core.windows.net"
    local_endpoint: str | None = None

    @property
    def arm_scope(self) -> str:
        return self.arm_audience.rstrip("/") + "/.default"

    @property
    def is_local(self) -> bool:
        return self.local_endpoint is not None

    def vault_url(self, vault: str) -> str:
        """The data-plane URL the SDK talks to; locally the emulator serves vault V at ``/kv/V``."""
        if self.local_endpoint:
            return f"{self.local_endpoint}/kv/{vault}"
        return f"https://{vault}{self.keyvault_dns_suffix}"


_PROFILES = {
    "AzureCloud": CloudProfile(
        name="AzureCloud",
        arm_endpoint="https://management.azure.com",
        arm_audience="https://management.azure.com",
        authority_host="https://login.microsoftonline.com",
        keyvault_dns_suffix=".vault.azure.net",
        keyvault_audience="https://vault.azure.net",
        acr_login_suffix=".azurecr.io",
    ),
    "AzureChinaCloud": CloudProfile(
        name="AzureChinaCloud",
        arm_endpoint="https://management.chinacloudapi.cn",
        arm_audience="https://management.chinacloudapi.cn",
        authority_host="https://login.chinacloudapi.cn",
        keyvault_dns_suffix=".vault.azure.cn",
        keyvault_audience="https://vault.azure.cn",
        acr_login_suffix=".azurecr.cn",
        storage_suffix="core.chinacloudapi.cn",
    ),
    "AzureUSGovernment": CloudProfile(
        name="AzureUSGovernment",
        arm_endpoint="https://management.usgovcloudapi.net",
        arm_audience="https://management.usgovcloudapi.net",
        authority_host="https://login.microsoftonline.us",
        keyvault_dns_suffix=".vault.usgovcloudapi.net",
        keyvault_audience="https://vault.usgovcloudapi.net",
        acr_login_suffix=".azurecr.us",
        storage_suffix="core.usgovcloudapi.net",
    ),
}


def cloud_profile(settings: Settings) -> CloudProfile:
    if settings.cloud == "Local":
        assert settings.local_endpoint
        # The emulator keeps public-cloud names and audiences so resource IDs and secret URIs look like Azure's.
        public = _PROFILES["AzureCloud"]
        return CloudProfile(
            name="Local",
            arm_endpoint=settings.local_endpoint,
            arm_audience=public.arm_audience,
            authority_host=public.authority_host,
            keyvault_dns_suffix=public.keyvault_dns_suffix,
            keyvault_audience=public.keyvault_audience,
            acr_login_suffix=public.acr_login_suffix,
            local_endpoint=settings.local_endpoint,
        )
    try:
        return _PROFILES[settings.cloud]
    except KeyError:
        known = ", ".join([*_PROFILES, "Local"])
        raise SettingsError(f"AZURE_CLOUD must be one of {known} (got {settings.cloud!r})") from None
