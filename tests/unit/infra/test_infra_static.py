"""Static checks of azure.yaml and infra/: what `azd up` needs, checked without Azure or the Bicep CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.unit.infra.bicep_scan import BicepFile, bicep_files, bracket_errors, parse_simple_yaml

REPO = Path(__file__).resolve().parents[3]
INFRA = REPO / "infra"
MAIN = INFRA / "main.bicep"
FUNCTION_APP = INFRA / "modules" / "function-app.bicep"

# App settings the app reads (DESIGN.md, shared/config.py) plus what the host needs for identity-based storage
# and telemetry.
REQUIRED_SETTINGS = {
    "AzureWebJobsStorage__accountName",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    "AZURE_CLOUD",
    "AZURE_TENANT_ID",
    "AZURE_SUBSCRIPTION_IDS",
    "ALLOWED_VAULTS",
    "REQUIRED_CALLER_ROLE",
    "STATE_TABLE_PREFIX",
    "HEALTH_TOPIC_ENDPOINT",
}
# Rejected on Flex Consumption (runtime comes from functionAppConfig) or credentials that must not exist.
FORBIDDEN_SETTINGS = {
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_EXTENSION_VERSION",
    "AzureWebJobsStorage",
    "HEALTH_TOPIC_KEY",
    "APPINSIGHTS_INSTRUMENTATIONKEY",
}
ROLE_IDS = {
    "keyVaultReader": "21090545-7ca7-4776-b22c-e363652d74d2",
    "keyVaultSecretsUser": "4633458b-17de-408a-b874-0445c86b69e6",
    "roleBasedAccessControlAdministrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    "storageBlobDataOwner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "storageBlobDataContributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "storageQueueDataContributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "storageQueueDataMessageSender": "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a",
    "storageTableDataContributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "monitoringMetricsPublisher": "3913510d-42f4-4e42-8a64-420c390055eb",
    "eventGridDataSender": "d5a91429-5739-47e2-a06b-3470a27159e7",
}
SECRET_PATTERNS = [
    r"listKeys\s*\(",
    r"listConnectionStrings\s*\(",
    r"listAccountSas\s*\(",
    r"AccountKey=",
    r"SharedAccessKey",
    r"DefaultEndpointsProtocol",
    r"allowSharedKeyAccess\s*:\s*true",
    r"(?i)disableLocalAuth\s*:\s*false",
    r"@secure\(\)",
    r"InstrumentationKey=",
]


def load(path: Path) -> BicepFile:
    return BicepFile.load(path)


def module_file(name: str) -> BicepFile:
    return load(INFRA / "modules" / name)


def secret_findings(text: str) -> list[str]:
    return [p for p in SECRET_PATTERNS if re.search(p, text)]


def module_call_errors(caller: BicepFile) -> list[str]:
    """Module paths that do not exist, params a module does not declare, required params left out."""
    errors = []
    for call in caller.module_calls():
        target = caller.path.parent / call.path
        if not target.is_file():
            errors.append(f"{caller.path.name}: module {call.symbol} -> missing {call.path}")
            continue
        declared = load(target).params()
        errors += [f"{call.symbol}: unknown param {p}" for p in call.params if p not in declared]
        errors += [
            f"{call.symbol}: required param {p} not passed"
            for p, has_default in declared.items()
            if not has_default and p not in call.params
        ]
    return errors


def output_reference_errors(caller: BicepFile) -> list[str]:
    """`sym.outputs.name` must name a module of this file and one of that module's outputs."""
    modules = {c.symbol: caller.path.parent / c.path for c in caller.module_calls()}
    errors = []
    for sym, name in set(re.findall(r"\b(\w+)\.outputs\.(\w+)", caller.code)):
        if sym not in modules:
            errors.append(f"{sym} is not a module of {caller.path.name}")
        elif name not in load(modules[sym]).outputs():
            errors.append(f"{sym} has no output {name}")
    return errors


def test_azure_yaml_declares_the_function_service() -> None:
    doc = parse_simple_yaml((REPO / "azure.yaml").read_text(encoding="utf-8"))
    assert doc["name"] == "acr-cache-autopilot"
    assert doc["services"] == {"api": {"project": ".", "language": "python", "host": "function"}}
    infra = doc.get("infra", {})
    assert isinstance(infra, dict)
    infra_dir = REPO / str(infra.get("path", "infra"))
    assert (infra_dir / f"{infra.get('module', 'main')}.bicep").is_file()


def test_main_creates_the_resource_group_at_subscription_scope() -> None:
    main = load(MAIN)
    assert re.search(r"^targetScope\s*=\s*'subscription'", main.text, re.M)
    assert re.search(r"'Microsoft\.Resources/resourceGroups@[\d-]+'", main.text)
    assert "'rg-${environmentName}'" in main.text


@pytest.mark.parametrize("path", bicep_files(INFRA), ids=lambda p: p.name)
def test_bicep_brackets_and_strings_balance(path: Path) -> None:
    assert bracket_errors(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", bicep_files(INFRA), ids=lambda p: p.name)
def test_every_referenced_file_exists(path: Path) -> None:
    missing = [r for r in load(path).references() if not (path.parent / r).is_file()]
    assert missing == []


def test_main_references_its_modules() -> None:
    refs = set(load(MAIN).references())
    expected = {
        "modules/monitoring.bicep",
        "modules/storage.bicep",
        "modules/health-topic.bicep",
        "modules/function-app.bicep",
        "modules/app-access.bicep",
        "modules/registry-access.bicep",
        "modules/vault-access.bicep",
        "modules/app-roles.bicep",
        "modules/subscription-access.bicep",
        "modules/system-topic.bicep",
        "modules/deadletter-access.bicep",
    }
    assert expected <= refs


@pytest.mark.parametrize("path", bicep_files(INFRA), ids=lambda p: p.name)
def test_module_calls_match_declared_params_and_outputs(path: Path) -> None:
    caller = load(path)
    assert module_call_errors(caller) + output_reference_errors(caller) == []


def test_app_settings_cover_what_the_app_reads() -> None:
    settings = load(FUNCTION_APP).app_settings()
    assert REQUIRED_SETTINGS - settings.keys() == set()
    assert FORBIDDEN_SETTINGS & settings.keys() == set()
    assert settings["AZURE_CLOUD"] == "environment().name"  # the deployment's own cloud, sovereign ones too
    assert settings["STATE_TABLE_PREFIX"] == "'acrcache'"
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == "'Authorization=AAD'"


def test_app_settings_are_fed_from_main_parameters() -> None:
    main = load(MAIN)
    params = main.params()
    for name in ("managedSubscriptionIds", "allowedVaults", "requiredCallerRole", "registryResourceIds"):
        assert params.get(name) is True, f"{name} must exist with a default"
    assert params.get("vaultResourceIds") is True
    # Empty AZURE_SUBSCRIPTION_IDS falls back to the deployment subscription.
    assert re.search(r"empty\(managedSubscriptionIds\)\s*\?\s*subscription\(\)\.subscriptionId", main.text)
    assert re.search(r"^param allowedVaults string = ''$", main.text, re.M)
    assert re.search(r"^param requiredCallerRole string = ''$", main.text, re.M)


def test_function_app_is_flex_consumption_python_311_with_system_identity() -> None:
    text = load(FUNCTION_APP).text
    assert "name: 'FC1'" in text and "tier: 'FlexConsumption'" in text
    assert "kind: 'functionapp,linux'" in text and "reserved: true" in text
    assert re.search(r"runtime\s*:\s*\{\s*name\s*:\s*'python'\s*version\s*:\s*'3\.11'", text)
    assert re.search(r"identity\s*:\s*\{\s*type\s*:\s*'SystemAssigned'", text)
    assert re.search(r"authentication\s*:\s*\{\s*type\s*:\s*'SystemAssignedIdentity'", text)
    assert "'azd-service-name': 'api'" in text


@pytest.mark.parametrize("path", [*bicep_files(INFRA), INFRA / "main.parameters.json"], ids=lambda p: p.name)
def test_no_shared_key_or_secret_value(path: Path) -> None:
    assert secret_findings(path.read_text(encoding="utf-8")) == []


def test_local_auth_is_off_everywhere_it_exists() -> None:
    assert re.search(r"allowSharedKeyAccess\s*:\s*false", module_file("storage.bicep").text)
    assert re.search(r"DisableLocalAuth\s*:\s*true", module_file("monitoring.bicep").text)
    topic = module_file("health-topic.bicep").text
    assert re.search(r"disableLocalAuth\s*:\s*true", topic)
    assert "inputSchema: 'CloudEventSchemaV1_0'" in topic


def test_role_definition_ids_are_the_built_in_guids() -> None:
    text = module_file("role-definitions.bicep").text
    found = dict(re.findall(r"^\s*(\w+)\s*:\s*'([0-9a-f-]{36})'", text, re.M))
    assert found == ROLE_IDS


def test_app_gets_its_own_resource_group_roles() -> None:
    text = module_file("app-access.bicep").text
    for role in (
        "storageBlobDataOwner",
        "storageQueueDataContributor",
        "storageTableDataContributor",
        "monitoringMetricsPublisher",
        "eventGridDataSender",
    ):
        assert f"roleDefinitionIds.{role}" in text
    assert text.count("principalType: 'ServicePrincipal'") == 3


def test_registry_and_vault_grants_run_at_each_target_scope() -> None:
    main = load(MAIN).text
    for module, var in (("registry-access", "registryId"), ("vault-access", "vaultId")):
        block = main[main.index(f"'modules/{module}.bicep'") :]
        assert re.match(
            rf"[^\n]*\n\s*for {var} in \w+: \{{.*?scope: resourceGroup\(split\({var}, '/'\)\[2\], "
            rf"split\({var}, '/'\)\[4\]\)",
            block,
            re.S,
        ), module
    registry = module_file("registry-access.bicep").text
    assert (
        "operatorRoleId" in registry and "roleDefinitionIds" not in registry
    )  # no built-in role on registries


def test_vault_roles_and_the_abac_condition() -> None:
    text = module_file("vault-access.bicep").text
    for role in ("roleBasedAccessControlAdministrator", "keyVaultReader"):
        assert f"roleDefinitionIds.{role}" in text
    assert "operatorRoleId" in text
    condition = re.search(r"var secretsUserOnlyCondition = '''(.*?)'''", text, re.S)
    assert condition, "the ABAC condition literal is missing"
    body = condition.group(1)
    secrets_user = ROLE_IDS["keyVaultSecretsUser"]
    for source, action in (("Request", "write"), ("Resource", "delete")):
        assert f"!(ActionMatches{{'Microsoft.Authorization/roleAssignments/{action}'}})" in body
        assert (
            f"@{source}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] "
            f"ForAnyOfAnyValues:GuidEquals {{{secrets_user}}}"
        ) in body
        assert (
            f"@{source}[Microsoft.Authorization/roleAssignments:PrincipalType] "
            "ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}"
        ) in body
    uaa = text[text.index("resource secretsUserAssignerGrant") :]
    uaa = uaa[: uaa.index("\n}\n")]
    assert "condition: secretsUserOnlyCondition" in uaa and "conditionVersion: '2.0'" in uaa
    policy = module_file("vault-metadata-policy.bicep").text
    assert re.search(r"secrets\s*:\s*\[\s*'list'\s*\]", policy)  # metadata only: no 'get'
    assert "'get'" not in policy


def test_parameters_file_uses_azd_substitution_for_main_params() -> None:
    doc = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))
    values = {k: v["value"] for k, v in doc["parameters"].items()}
    assert values["environmentName"] == "${AZURE_ENV_NAME}"
    assert values["location"] == "${AZURE_LOCATION}"
    assert values["managedSubscriptionIds"] == "${AZURE_SUBSCRIPTION_IDS}"
    params = load(MAIN).params()
    assert set(values) <= set(params)
    assert {p for p, has_default in params.items() if not has_default} <= set(values)


def test_outputs_azd_and_the_app_expect() -> None:
    outputs = set(load(MAIN).outputs())
    assert {
        "AZURE_LOCATION",
        "AZURE_TENANT_ID",
        "AZURE_RESOURCE_GROUP",
        "AZURE_FUNCTION_APP_NAME",
        "SERVICE_API_NAME",
        "SERVICE_API_URI",
        "HEALTH_TOPIC_ENDPOINT",
    } <= outputs


# The checks above must be able to fail: prove each one catches the mistake it exists for.


def _write(tmp_path: Path, name: str, text: str) -> BicepFile:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return BicepFile.load(path)


def test_checker_catches_bad_module_calls(tmp_path: Path) -> None:
    _write(
        tmp_path, "child.bicep", "param needed string\nparam optional int = 1\noutput name string = needed\n"
    )
    caller = _write(
        tmp_path,
        "main.bicep",
        "module ok 'child.bicep' = {\n  name: 'ok'\n  params: {\n    needed: 'x'\n  }\n}\n"
        "module bad 'child.bicep' = {\n  name: 'bad'\n  params: {\n"
        "    typo: {\n      needed: 'nested'\n    }\n  }\n}\n"
        "module gone 'nope.bicep' = {\n  name: 'gone'\n}\n"
        "output a string = ok.outputs.name\noutput b string = ok.outputs.missing\n",
    )
    assert module_call_errors(caller) == [
        "bad: unknown param typo",
        "bad: required param needed not passed",
        "main.bicep: module gone -> missing nope.bicep",
    ]
    assert output_reference_errors(caller) == ["ok has no output missing"]


def test_checker_catches_secrets_settings_and_brackets(tmp_path: Path) -> None:
    assert secret_findings(
        "value: 'DefaultEndpointsProtocol=https;AccountKey=${st.listKeys().keys[0].value}'"
    )
    assert secret_findings("properties: {\n  allowSharedKeyAccess: true\n}")
    assert secret_findings("// a comment\nvalue: 'ok'") == []
    app = _write(
        tmp_path,
        "app.bicep",
        "var s = [\n]\nresource a 'x@1' = {\n  properties: {\n    siteConfig: {\n      appSettings: [\n"
        "        // comment\n        {\n          name: 'AZURE_CLOUD'\n"
        "          value: 'AzureCloud'\n        }\n"
        "      ]\n    }\n  }\n}\n",
    )
    assert app.app_settings() == {"AZURE_CLOUD": "'AzureCloud'"}
    assert bracket_errors("a: { b: [ 'c}' ]") == ["unclosed '{' at line 1"]
    assert bracket_errors("x: '''\n{ not code\n'''\ny: ( ]") == [
        "unexpected ']' at line 4",
        "unclosed '(' at line 4",
    ]
    # Interpolations are code (their references count), the text around them is not.
    masked = BicepFile(tmp_path / "i.bicep", "v: 'a{${f('}', app.outputs.uri)}/b'").code
    assert "app.outputs.uri" in masked and "a{" not in masked


def test_yaml_reader_refuses_what_it_cannot_read() -> None:
    assert parse_simple_yaml("a:\n  b: c # note\nd: 'e'\n") == {"a": {"b": "c"}, "d": "e"}
    with pytest.raises(ValueError):
        parse_simple_yaml("services:\n  - api\n")


def test_custom_roles_hold_exactly_the_app_actions_and_no_wildcard() -> None:
    text = module_file("role-definitions.bicep").text
    inventory = re.search(r"var appInventoryActions = \[(.*?)\]", text, re.S)
    operator = re.search(r"var appOperatorActions = \[(.*?)\]", text, re.S)
    assert inventory and operator
    actions = re.findall(r"'([^']+)'", inventory.group(1) + operator.group(1))
    assert actions and not [a for a in actions if "*" in a]
    assert not [a for a in re.findall(r"'([^']+)'", inventory.group(1)) if not a.endswith("/read")]
    roles = module_file("app-roles.bicep").text
    assert "actions: appInventoryActions" in roles and "actions: appOperatorActions" in roles
    assert "'Microsoft.Authorization/roleDefinitions@" in roles
