"""Typed settings, read once from the app settings (environment variables in Azure and in the devhost)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache


class SettingsError(ValueError):
    """An app setting is missing or malformed: the app refuses to start work with it."""


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _number(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{key} must be a number (got {raw!r})") from exc
    if value < 0:
        raise SettingsError(f"{key} must not be negative")
    return value


def _flag(env: Mapping[str, str], key: str) -> bool:
    raw = env.get(key, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{key} must be true or false (got {raw!r})")


@dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    cloud: str
    local_endpoint: str | None
    subscription_ids: tuple[str, ...]
    tenant_id: str | None
    allowed_vaults: frozenset[str]
    required_caller_role: str | None
    storage_connection: str | None
    storage_account: str | None
    state_table_prefix: str
    health_topic_endpoint: str | None
    health_topic_key: str | None
    health_wait_seconds: float
    poll_interval_seconds: float
    arm_retry_total: int
    arm_retry_backoff_max: float
    max_body_bytes: int
    sweep_schedule: str
    sweep_queue: str
    sweep_fanout_threshold: int
    sweep_resource_groups: frozenset[str]
    sweep_registries: frozenset[str]
    sweep_concurrency: int
    sweep_read_reserve: int
    expiry_warning_days: float
    reminder_hours: float
    auto_heal: bool
    lease_ttl_seconds: float
    lease_wait_seconds: float
    event_claim_seconds: float
    request_deadline_seconds: float

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        cloud = env.get("AZURE_CLOUD", "AzureCloud").strip() or "AzureCloud"
        local = env.get("AZURE_LOCAL_ENDPOINT", "").strip().rstrip("/") or None
        if cloud == "Local" and not local:
            raise SettingsError("AZURE_CLOUD=Local needs AZURE_LOCAL_ENDPOINT (the emulator's https URL)")
        subscriptions = _csv(env.get("AZURE_SUBSCRIPTION_IDS"))
        return cls(
            cloud=cloud,
            local_endpoint=local,
            subscription_ids=subscriptions,
            tenant_id=env.get("AZURE_TENANT_ID", "").strip().lower() or None,
            allowed_vaults=frozenset(v.lower() for v in _csv(env.get("ALLOWED_VAULTS"))),
            required_caller_role=env.get("REQUIRED_CALLER_ROLE", "").strip() or None,
            storage_connection=env.get("AzureWebJobsStorage", "").strip() or None,
            storage_account=env.get("AzureWebJobsStorage__accountName", "").strip() or None,
            state_table_prefix=env.get("STATE_TABLE_PREFIX", "acrcache").strip() or "acrcache",
            health_topic_endpoint=env.get("HEALTH_TOPIC_ENDPOINT", "").strip() or None,
            health_topic_key=env.get("HEALTH_TOPIC_KEY", "").strip() or None,
            health_wait_seconds=_number(env, "HEALTH_WAIT_SECONDS", 15.0),
            poll_interval_seconds=_number(env, "LRO_POLL_INTERVAL_SECONDS", 1.0),
            arm_retry_total=int(_number(env, "ARM_RETRY_TOTAL", 4)),
            arm_retry_backoff_max=_number(env, "ARM_RETRY_BACKOFF_MAX_SECONDS", 30.0),
            max_body_bytes=int(_number(env, "MAX_REQUEST_BODY_BYTES", 64 * 1024)),
            sweep_schedule=env.get("SWEEP_SCHEDULE", "").strip() or "0 */15 * * * *",
            sweep_queue=env.get("SWEEP_QUEUE", "").strip() or "sweep-registries",
            sweep_fanout_threshold=int(_number(env, "SWEEP_FANOUT_THRESHOLD", 200)),
            sweep_resource_groups=frozenset(g.lower() for g in _csv(env.get("SWEEP_RESOURCE_GROUPS"))),
            sweep_registries=frozenset(r.lower() for r in _csv(env.get("SWEEP_REGISTRIES"))),
            sweep_concurrency=max(1, int(_number(env, "SWEEP_CONCURRENCY", 4))),
            sweep_read_reserve=int(_number(env, "SWEEP_READ_RESERVE", 100)),
            expiry_warning_days=_number(env, "EXPIRY_WARNING_DAYS", 30.0),
            reminder_hours=_number(env, "REMINDER_HOURS", 24.0),
            auto_heal=_flag(env, "AUTO_HEAL"),
            lease_ttl_seconds=max(_number(env, "LEASE_TTL_SECONDS", 60.0), 3.0),
            lease_wait_seconds=_number(env, "LEASE_WAIT_SECONDS", 30.0),
            event_claim_seconds=max(_number(env, "EVENT_CLAIM_SECONDS", 60.0), 3.0),
            # Azure's front end cuts an HTTP request off at 230 s: answer well before, with what was done.
            request_deadline_seconds=_number(env, "REQUEST_DEADLINE_SECONDS", 180.0),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
