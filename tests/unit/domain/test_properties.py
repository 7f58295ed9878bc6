"""Properties of input handling over generated input: only the product's own errors, and stable normalisation."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.errors import ValidationFailed
from shared.domain.names import resource_name_problem, rule_name_for_target
from shared.domain.repositories import RepositoryError, normalise_source, normalise_target
from shared.domain.requests import SecretRules, parse_cache_rule, parse_credential_set
from shared.domain.secrets import SecretUriError, parse_secret_uri

SUFFIX = ".vault.azure.net"
RULES = SecretRules(dns_suffix=SUFFIX)

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=20), children, max_size=5)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    ["sourceRepository", "targetRepository", "credentialSet", "credentials", "name", "usernameSecretUri", "x"]
)
rule_like = st.dictionaries(field_names, json_values, max_size=5)
segment = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=8)
path = st.lists(segment, min_size=1, max_size=3).map("/".join)
upstream = st.sampled_from(["docker.io", "ghcr.io", "quay.io", "mcr.microsoft.com", "registry.k8s.io", ""])


@settings(max_examples=300, deadline=None)
@given(body=json_values | rule_like)
def test_any_json_is_accepted_or_refused_with_field_errors(body: Any) -> None:
    for parse in (
        lambda: parse_cache_rule(body, name=None, rules=RULES),
        lambda: parse_cache_rule(body, name="ubuntu", rules=RULES),
        lambda: parse_credential_set(body, name="dockerhub", rules=RULES),
    ):
        try:
            parse()
        except ValidationFailed as exc:
            assert exc.errors, "a refusal names at least one field"
            assert all(e.message for e in exc.errors)


@settings(max_examples=300, deadline=None)
@given(
    raw=st.text(max_size=120)
    | st.builds(lambda v, p: f"https://{v}{SUFFIX}/{p}", segment, st.text(max_size=60))
)
def test_secret_uris_either_parse_to_a_canonical_form_or_are_refused(raw: str) -> None:
    try:
        parsed = parse_secret_uri(raw, dns_suffix=SUFFIX)
    except SecretUriError as exc:
        assert str(exc)
        return
    assert parse_secret_uri(parsed.uri, dns_suffix=SUFFIX) == parsed
    assert parsed.uri.startswith("https://") and "/secrets/" in parsed.uri


@settings(max_examples=300, deadline=None)
@given(host=upstream, repo=path, upper=st.booleans(), wildcard=st.booleans())
def test_source_normalisation_is_idempotent(host: str, repo: str, upper: bool, wildcard: bool) -> None:
    raw = (f"{host}/{repo}" if host else repo) + ("/*" if wildcard else "")
    try:
        source = normalise_source(raw.upper() if upper else raw)
    except RepositoryError as exc:
        assert str(exc)
        return
    assert source.full == source.full.lower()
    assert normalise_source(source.full) == source
    if source.login_server == "docker.io":
        assert "/" in source.path


@settings(max_examples=300, deadline=None)
@given(target=path, wildcard=st.booleans())
def test_every_valid_target_derives_a_valid_rule_name(target: str, wildcard: bool) -> None:
    normalised = normalise_target(target + ("/*" if wildcard else ""))
    name = rule_name_for_target(normalised)
    assert resource_name_problem(name, "name") is None, name
