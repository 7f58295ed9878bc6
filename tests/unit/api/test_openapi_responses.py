"""What the handlers answer matches the response schemas: views, lists, validate results and problem details."""

from __future__ import annotations

from typing import Any

import pytest

from shared.api.openapi import PROBLEM_STATUSES, document
from shared.api.problems import status_of, to_problem
from shared.api.views import credential_set_view, rule_view, validation_view
from shared.domain import errors as domain_errors
from shared.domain.errors import AutopilotError, AzureRejected, FieldError
from shared.domain.models import CacheRule, CredentialHealth, CredentialSet, Registry
from shared.domain.results import FAILED, PASSED, SKIPPED, Check, RuleState, ValidationReport
from shared.services.rollback import Rollback
from tests.unit.api.schema_subset import errors

DOC = document()
REGISTRY = Registry(
    id="/subscriptions/s/resourceGroups/demo-rg/providers/Microsoft.ContainerRegistry/registries/demoregistry",
    name="demoregistry",
    subscription_id="s",
    resource_group="demo-rg",
    login_server="demoregistry.azurecr.io",
)
CREDENTIAL_SET = CredentialSet(
    id=REGISTRY.id + "/credentialSets/docker-io-set",
    name="docker-io-set",
    login_server="docker.io",
    username_secret_uri="https://demo-kv.vault.azure.net/secrets/dockerhub-username",
    password_secret_uri="https://demo-kv.vault.azure.net/secrets/dockerhub-password",
    principal_id="00000000-0000-0000-0000-0000000000b1",
    tenant_id="00000000-0000-0000-0000-0000000000aa",
    health=CredentialHealth(status="Unhealthy", error_code="LoginFailed", error_message="bad password"),
)
NEW_SET = CredentialSet(
    id=REGISTRY.id + "/credentialSets/fresh-set",
    name="fresh-set",
    login_server="ghcr.io",
    username_secret_uri="https://demo-kv.vault.azure.net/secrets/u",
    password_secret_uri="https://demo-kv.vault.azure.net/secrets/p",
    principal_id=None,
    tenant_id=None,
)
RULE = CacheRule(
    id=REGISTRY.id + "/cacheRules/ubuntu",
    name="ubuntu",
    source_repository="docker.io/library/ubuntu",
    target_repository="ubuntu",
    credential_set_id=CREDENTIAL_SET.id,
    provisioning_state="Succeeded",
)
PLAIN_RULE = CacheRule(
    id=REGISTRY.id + "/cacheRules/sdk-rule",
    name="sdk-rule",
    source_repository="mcr.microsoft.com/dotnet/sdk",
    target_repository="sdk",
    credential_set_id=None,
)


def _check(instance: Any, schema: str) -> list[str]:
    return errors(instance, {"$ref": f"#/components/schemas/{schema}"}, DOC)


@pytest.mark.parametrize(
    "view",
    [
        rule_view(REGISTRY, RULE, CREDENTIAL_SET),
        rule_view(REGISTRY, PLAIN_RULE, None),
        rule_view(REGISTRY, RULE, NEW_SET),
    ],
    ids=["with-set", "without-set", "set-without-identity"],
)
def test_rule_views_match_the_cache_rule_schema(view: dict[str, Any]) -> None:
    assert _check(view, "CacheRule") == []


@pytest.mark.parametrize("used_by", [None, [], ["b-rule", "a-rule"]])
def test_credential_set_views_match_the_schema(used_by: list[str] | None) -> None:
    assert _check(credential_set_view(CREDENTIAL_SET, used_by=used_by), "CredentialSet") == []


def test_list_envelopes_match() -> None:
    rules = [rule_view(REGISTRY, RULE, CREDENTIAL_SET), rule_view(REGISTRY, PLAIN_RULE, None)]
    assert _check({"value": rules, "count": 2}, "CacheRuleList") == []
    assert _check({"value": [], "count": 0}, "CredentialSetList") == []
    assert _check({"value": rules}, "CacheRuleList"), "count is required"
    assert _check({"value": [{"name": "x"}], "count": 1}, "CacheRuleList"), "items are rule views"


def test_the_schema_rejects_a_view_missing_its_credential_set_member() -> None:
    view = rule_view(REGISTRY, RULE, CREDENTIAL_SET)
    del view["credentialSet"]
    assert _check(view, "CacheRule")


@pytest.mark.parametrize(
    "checks",
    [
        [Check(name="ruleExists", status=FAILED, code="CacheRuleMissing", message="no such cache rule")],
        [
            Check(name="ruleExists", status=PASSED, message="a -> b"),
            Check(name="credentialSetExists", status=SKIPPED, message="the rule uses no credentials"),
        ],
    ],
    ids=["invalid", "valid"],
)
def test_validate_results_match(checks: list[Check]) -> None:
    result = validation_view(ValidationReport(checks=tuple(checks)))
    assert _check(result, "ValidationResult") == []


def _problem_classes() -> list[type[AutopilotError]]:
    found = [AutopilotError]
    for value in vars(domain_errors).values():
        if isinstance(value, type) and issubclass(value, AutopilotError) and value not in found:
            found.append(value)
    return found


def _instance(cls: type[AutopilotError]) -> AutopilotError:
    if cls is AzureRejected:
        return AzureRejected("Azure said no", http_status=409, code="Conflict")
    if cls is domain_errors.ResourceBusy:
        return cls("busy", retry_after=12, extensions={"retryAfterSeconds": 12})
    if cls is domain_errors.CredentialsRefused:
        return cls("refused", code="SecretNotFound")
    if cls is domain_errors.MethodNotAllowed:
        return cls("GET is not offered here", allowed=("POST",))
    return cls(
        "something failed", errors=[FieldError(field="name", message="is required")], extensions={"x": 1}
    )


@pytest.mark.parametrize("cls", _problem_classes(), ids=lambda c: c.__name__)
def test_every_product_error_is_a_documented_problem(cls: type[AutopilotError]) -> None:
    error = _instance(cls)
    assert status_of(error) in PROBLEM_STATUSES
    assert _check(to_problem(error, instance="/api/registries/demoregistry/cache-rules"), "Problem") == []


@pytest.mark.parametrize("http_status", [400, 403, 404, 409, 412])
def test_azure_rejections_map_to_documented_statuses(http_status: int) -> None:
    error = AzureRejected("no", http_status=http_status, code=None)
    assert status_of(error) in PROBLEM_STATUSES
    assert _check(to_problem(error), "Problem") == []


def test_rollback_and_conflict_extensions_match_their_documented_shapes() -> None:
    failure = Rollback(step="grant").fail(AutopilotError("boom"))
    assert _check(to_problem(failure, instance="/x"), "Problem") == []
    conflict = domain_errors.CacheRuleConflict(
        "exists",
        extensions={"existing": RuleState(registry=REGISTRY, rule=RULE, credential_set=CREDENTIAL_SET)},
    )
    assert _check(to_problem(conflict), "Problem") == []
    bad = domain_errors.CacheRuleConflict("exists", extensions={"existing": "not a view"})
    assert _check(to_problem(bad), "Problem")
