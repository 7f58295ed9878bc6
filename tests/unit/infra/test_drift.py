"""Code and templates must not drift: every .bicep parses, every Event Grid function is subscribed to (and every
subscription reaches one), every setting the code reads is set or documented, every filter names operations the
handlers act on. Functions are read as the worker indexes them: `app.get_functions()` on function_app.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pycep import BicepParser

from devhost.loader import find_app, import_app_module
from tests.unit.infra.bicep_scan import BicepFile, bicep_files

REPO = Path(__file__).resolve().parents[3]
INFRA = REPO / "infra"
EVENTS = INFRA / "events" / "main.bicep"
FUNCTION_APP = INFRA / "modules" / "function-app.bicep"
DEPLOY_DOC = REPO / "docs" / "deploy.md"

EVENT_GRID_TRIGGER = "eventGridTrigger"
# Read by the Functions host (identity-based storage, telemetry), not by the app's code.
HOST_SETTINGS = {
    "AzureWebJobsStorage__accountName",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
}
# Read by the code but deliberately not set in Azure: each is documented in docs/deploy.md with its default.
OPTIONAL_SETTINGS = {
    "AZURE_LOCAL_ENDPOINT",  # the emulator only (AZURE_CLOUD=Local)
    "AzureWebJobsStorage",  # a connection string: Azurite only; Azure uses the identity
    "HEALTH_TOPIC_KEY",  # a key: local topics only; Azure publishes with the identity
    "HEALTH_WAIT_SECONDS",
    "LRO_POLL_INTERVAL_SECONDS",
    "ARM_RETRY_TOTAL",
    "ARM_RETRY_BACKOFF_MAX_SECONDS",
    "MAX_REQUEST_BODY_BYTES",
    "EXPIRY_WARNING_DAYS",
    "REMINDER_HOURS",
    "SWEEP_SCHEDULE",
    "SWEEP_QUEUE",
    "SWEEP_FANOUT_THRESHOLD",
    "SWEEP_CONCURRENCY",
    "SWEEP_READ_RESERVE",
    "SWEEP_RESOURCE_GROUPS",
    "SWEEP_REGISTRIES",
    "AUTO_HEAL",
    "LEASE_TTL_SECONDS",
    "LEASE_WAIT_SECONDS",
    "EVENT_CLAIM_SECONDS",
    "REQUEST_DEADLINE_SECONDS",
}
# DESIGN.md: what on_keyvault_event acts on.
KEYVAULT_EVENT_TYPES = {
    "Microsoft.KeyVault.SecretNewVersionCreated",
    "Microsoft.KeyVault.SecretNearExpiry",
    "Microsoft.KeyVault.SecretExpired",
    "Microsoft.KeyVault.VaultAccessPolicyChanged",
}
# Issues 8 and 9 build these DESIGN.md functions; until they land the tests needing them are expected to fail.

_READS = [
    re.compile(r"""\b(?:env|environ|os\.environ)\.get\(\s*["']([A-Za-z0-9_]+)["']"""),
    re.compile(r"""\b(?:env|environ)\[\s*["']([A-Za-z0-9_]+)["']\s*\]"""),
    re.compile(r"""\bgetenv\(\s*["']([A-Za-z0-9_]+)["']"""),
    re.compile(r"""\b_(?:number|flag)\(\s*env\s*,\s*["']([A-Za-z0-9_]+)["']"""),
]


def settings_read_by_code(root: Path = REPO) -> set[str]:
    """App settings the deployed code reads: environment lookups, and `%NAME%` binding expressions."""
    sources = [root / "function_app.py", *sorted((root / "shared").rglob("*.py"))]
    sources += sorted((root / "functions").rglob("*.py"))
    found: set[str] = set()
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for pattern in _READS:
            found.update(pattern.findall(text))
        if path.parent.name == "functions":
            found.update(re.findall(r"%([A-Za-z0-9_]+)%", text))
    return found


def _parse(path: Path) -> dict[str, Any]:
    return dict(BicepParser().parse(file_path=path))


@pytest.fixture(scope="module")
def functions() -> dict[str, str]:
    """Function name -> trigger type, from one `get_functions()` call, as the worker indexes the app."""
    app = find_app(import_app_module(REPO))
    found = {}
    for function in app.get_functions():
        trigger = function.get_trigger()
        assert trigger is not None
        found[str(function.get_function_name())] = str(trigger.get_binding_name())
    return found


def event_subscriptions() -> dict[str, dict[str, Any]]:
    """Function name -> the module call of infra/events/main.bicep that subscribes it."""
    doc = _parse(EVENTS)
    subscribed = {}
    for module in doc["modules"].values():
        config = module["config"]
        body = config["config"] if "loop_type" in config else config
        target = str(body["params"]["functionResourceId"])
        name = target.rsplit("/functions/", 1)[-1]
        subscribed[name] = {"params": body["params"], "variables": doc["variables"]}
    return subscribed


def _values(doc: dict[str, Any], node: Any) -> list[str]:
    """A literal list, or the list variable it names."""
    return list(doc["variables"][node]["value"]) if isinstance(node, str) else list(node)


@pytest.mark.parametrize("path", bicep_files(INFRA), ids=lambda p: str(p.relative_to(INFRA)))
def test_every_bicep_file_parses(path: Path) -> None:
    assert _parse(path)["globals"]


def test_the_bicep_parser_rejects_broken_bicep(tmp_path: Path) -> None:
    broken = tmp_path / "broken.bicep"
    broken.write_text(
        "resource x 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'a'\n", encoding="utf-8"
    )
    with pytest.raises(Exception, match="Unexpected"):
        _parse(broken)


def test_every_event_grid_function_has_a_subscription(functions: dict[str, str]) -> None:
    subscribed = event_subscriptions()
    missing = [n for n, t in functions.items() if t == EVENT_GRID_TRIGGER and n not in subscribed]
    assert missing == []


@pytest.mark.parametrize("name", ["on_keyvault_event", "on_resource_event"])
def test_every_subscription_reaches_an_event_grid_function(functions: dict[str, str], name: str) -> None:
    assert name in event_subscriptions()
    assert functions.get(name) == EVENT_GRID_TRIGGER


def test_subscriptions_are_azure_function_endpoints_with_dead_letter_and_retries() -> None:
    text = (INFRA / "events" / "event-subscription.bicep").read_text(encoding="utf-8")
    assert "endpointType: 'AzureFunction'" in text
    assert re.search(
        r"deadLetterWithResourceIdentity\s*:\s*\{\s*identity\s*:\s*\{\s*type\s*:\s*'SystemAssigned'", text
    )
    assert "endpointType: 'StorageBlob'" in text
    assert re.search(r"retryPolicy\s*:\s*\{\s*maxDeliveryAttempts\s*:\s*\d+", text)
    assert not re.search(r"(?i)code=|x-functions-key|listKeys", text)  # no function key anywhere


def test_keyvault_subscription_takes_the_events_the_design_handles() -> None:
    doc = _parse(EVENTS)
    params = event_subscriptions()["on_keyvault_event"]["params"]
    assert set(_values(doc, params["includedEventTypes"])) == KEYVAULT_EVENT_TYPES


def test_resource_filter_names_only_registry_operations_on_operation_name() -> None:
    doc = _parse(EVENTS)
    params = event_subscriptions()["on_resource_event"]["params"]
    (only,) = params["advancedFilters"]
    assert only["key"] == "data.operationName" and only["operatorType"] == "StringIn"
    operations = _values(doc, only["values"])
    pattern = re.compile(
        r"Microsoft\.ContainerRegistry/registries(/(cacheRules|credentialSets))?/(write|delete)"
    )
    assert operations and [op for op in operations if not pattern.fullmatch(op)] == []
    assert set(_values(doc, params["includedEventTypes"])) == {
        "Microsoft.Resources.ResourceWriteSuccess",
        "Microsoft.Resources.ResourceDeleteSuccess",
    }


def test_resource_filter_equals_what_the_handler_acts_on() -> None:
    from shared.events.resources import HANDLED_OPERATIONS

    doc = _parse(EVENTS)
    (only,) = event_subscriptions()["on_resource_event"]["params"]["advancedFilters"]
    assert {op.lower() for op in _values(doc, only["values"])} == {op.lower() for op in HANDLED_OPERATIONS}


def test_every_setting_read_is_set_or_documented_and_nothing_set_is_unread() -> None:
    read = settings_read_by_code()
    deployed = set(BicepFile.load(FUNCTION_APP).app_settings())
    assert read - deployed - OPTIONAL_SETTINGS == set(), "read by the code but neither set nor documented"
    assert deployed - read - HOST_SETTINGS == set(), "set in the Bicep but read by nobody"
    assert OPTIONAL_SETTINGS - read == set(), "documented as optional but no longer read"
    assert OPTIONAL_SETTINGS & deployed == set()
    doc = DEPLOY_DOC.read_text(encoding="utf-8")
    assert [s for s in sorted(OPTIONAL_SETTINGS) if f"`{s}`" not in doc] == []


def test_settings_scan_finds_each_way_of_reading(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "functions").mkdir()
    (tmp_path / "function_app.py").write_text("import os\nos.environ.get('A')\n", encoding="utf-8")
    (tmp_path / "shared" / "c.py").write_text(
        'env.get("B", "x")\n_number(env, "C", 1)\nos.getenv("D")\nenv["E"]\nother.get("F")\n',
        encoding="utf-8",
    )
    (tmp_path / "functions" / "t.py").write_text('@bp.queue_trigger(queue_name="%G%")\n', encoding="utf-8")
    assert settings_read_by_code(tmp_path) == {"A", "B", "C", "D", "E", "G"}


def test_hooks_create_the_subscriptions_after_deploy_for_both_shells() -> None:
    azure = (REPO / "azure.yaml").read_text(encoding="utf-8")
    assert re.search(
        r"hooks:\n  postdeploy:\n    posix:\n      shell: sh\n      run: infra/hooks/postdeploy.sh", azure
    )
    assert re.search(r"    windows:\n      shell: pwsh\n      run: infra/hooks/postdeploy.ps1", azure)
    for hook in ("postdeploy.sh", "postdeploy.ps1"):
        text = (INFRA / "hooks" / hook).read_text(encoding="utf-8")
        assert "az deployment sub create" in text and "events" in text and "main.bicep" in text
    # The hook's inputs are outputs of main.bicep (azd exports them to hooks).
    outputs = set(BicepFile.load(INFRA / "main.bicep").outputs())
    used = set(
        re.findall(
            r"\$\{?(EVENTGRID_[A-Z_]+|AZURE_FUNCTION_APP_ID)", (INFRA / "hooks" / "postdeploy.sh").read_text()
        )
    )
    assert used and used <= outputs
    params = json.dumps(_parse(EVENTS)["parameters"])
    for name in ("functionAppId", "keyVaultTopicIds", "resourcesTopicId", "deadLetterStorageId"):
        assert name in params
