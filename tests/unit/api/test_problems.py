"""Problem details (RFC 9457) from product errors: shape, statuses, extensions."""

from __future__ import annotations

import pytest

from shared.api.problems import PROBLEM_BASE, PROBLEM_TYPES, status_of, to_problem
from shared.domain import errors as e

STATUSES = [
    (e.AutopilotError, 500, "internal-error"),
    (e.ValidationFailed, 400, "validation-failed"),
    (e.MalformedBody, 400, "malformed-body"),
    (e.PayloadTooLarge, 413, "payload-too-large"),
    (e.UnsupportedMediaType, 415, "unsupported-media-type"),
    (e.Unauthorized, 401, "unauthorized"),
    (e.Forbidden, 403, "forbidden"),
    (e.RegistryNotFound, 404, "registry-not-found"),
    (e.CacheRuleNotFound, 404, "cache-rule-not-found"),
    (e.CredentialSetNotFound, 404, "credential-set-not-found"),
    (e.CacheRuleConflict, 409, "cache-rule-conflict"),
    (e.CredentialSetConflict, 409, "credential-set-conflict"),
    (e.CredentialSetInUse, 409, "credential-set-in-use"),
    (e.RuleLimitReached, 409, "rule-limit-reached"),
    (e.ProvisioningFailed, 502, "provisioning-failed"),
    (e.UpstreamServiceError, 503, "azure-unavailable"),
]


@pytest.mark.parametrize(("cls", "status", "slug"), STATUSES, ids=[c[0].__name__ for c in STATUSES])
def test_problem_shape(cls: type[e.AutopilotError], status: int, slug: str) -> None:
    error = cls("it broke")
    problem = to_problem(error, instance="/api/registries/demoregistry/cache-rules/x")
    assert problem == {
        "type": PROBLEM_BASE + slug,
        "title": PROBLEM_TYPES[cls].title,
        "status": status,
        "detail": "it broke",
        "instance": "/api/registries/demoregistry/cache-rules/x",
    }
    assert str(error) == "it broke"
    assert error.retryable is (status >= 500)


def test_errors_and_extensions_are_included_and_instance_is_optional() -> None:
    error = e.ValidationFailed(
        "bad",
        errors=[e.FieldError(field="a", message="is required"), e.FieldError(field="b.c", message="no")],
        extensions={"existing": {"name": "x"}},
    )
    assert to_problem(error) == {
        "type": PROBLEM_BASE + "validation-failed",
        "title": "The request is invalid",
        "status": 400,
        "detail": "bad",
        "errors": [{"field": "a", "message": "is required"}, {"field": "b.c", "message": "no"}],
        "existing": {"name": "x"},
    }


def test_extensions_are_copied_not_shared() -> None:
    shared = {"limit": 1}
    error = e.RuleLimitReached("full", extensions=shared)
    error.extensions["limit"] = 2
    assert shared == {"limit": 1}


@pytest.mark.parametrize(
    ("http_status", "status"), [(400, 400), (409, 409), (403, 502), (404, 502), (412, 502)]
)
def test_azure_rejections(http_status: int, status: int) -> None:
    error = e.AzureRejected("Azure said no", http_status=http_status, code="SomeCode")
    assert status_of(error) == status
    assert (error.http_status, error.code) == (http_status, "SomeCode")
    assert to_problem(error)["azureErrorCode"] == "SomeCode"
    assert to_problem(error)["status"] == status
    assert not hasattr(error, "status"), "the domain error carries no HTTP status"


def test_azure_rejection_keeps_a_given_code_extension() -> None:
    error = e.AzureRejected("no", http_status=400, code=None, extensions={"azureErrorCode": "Given"})
    assert to_problem(error)["azureErrorCode"] == "Given"


def test_a_rolled_back_failure_takes_its_client_causes_status_and_retryability() -> None:
    cause = e.AzureRejected("taken", http_status=409, code="Taken")
    failure = e.ProvisioningFailed("step failed", cause=cause)
    forbidden = e.ProvisioningFailed("step failed", cause=e.AzureRejected("no", http_status=403, code=None))

    assert (status_of(failure), failure.retryable) == (409, False)
    assert status_of(forbidden) == 502
    assert e.ProvisioningFailed("boom", cause=e.UpstreamServiceError("busy")).retryable


def test_domain_objects_in_extensions_are_rendered_as_views() -> None:
    from shared.api.views import credential_set_view
    from shared.domain.models import CredentialSet

    existing = CredentialSet(
        id="/x/credentialSets/s",
        name="s",
        login_server="docker.io",
        username_secret_uri="https://kv1.vault.azure.net/secrets/u",
        password_secret_uri="https://kv1.vault.azure.net/secrets/p",
        principal_id=None,
        tenant_id=None,
    )
    problem = to_problem(e.CredentialSetConflict("exists", extensions={"existing": existing}))
    assert problem["existing"] == credential_set_view(existing)
