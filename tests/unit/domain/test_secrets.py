"""Key Vault secret URIs: only https secrets of this cloud's vaults (and allowed ones), canonicalised."""

from __future__ import annotations

import pytest

from shared.domain.secrets import SecretUriError, parse_secret_uri

PUBLIC = ".vault.azure.net"
V32 = "0123456789abcdef0123456789ABCDEF"

ACCEPTED = [
    ("https://demo-kv.vault.azure.net/secrets/user", PUBLIC, ("demo-kv", "user", None)),
    (f"https://demo-kv.vault.azure.net/secrets/user/{V32}", PUBLIC, ("demo-kv", "user", V32.lower())),
    ("HTTPS://Demo-KV.Vault.Azure.NET/Secrets/user/", PUBLIC, ("demo-kv", "user", None)),
    ("https://abc.vault.azure.net/secrets/a", PUBLIC, ("abc", "a", None)),
    ("https://" + "a" * 24 + ".vault.azure.net/secrets/x", PUBLIC, ("a" * 24, "x", None)),
    ("https://demo-kv.vault.azure.net/secrets/" + "n" * 127, PUBLIC, ("demo-kv", "n" * 127, None)),
    ("https://kv1.vault.azure.cn/secrets/pw", ".vault.azure.cn", ("kv1", "pw", None)),
    ("https://kv1.vault.usgovcloudapi.net/secrets/pw", ".vault.usgovcloudapi.net", ("kv1", "pw", None)),
    ("https://kv-1-a.vault.azure.net/secrets/My-Secret-2", PUBLIC, ("kv-1-a", "My-Secret-2", None)),
]


@pytest.mark.parametrize(("raw", "suffix", "expected"), ACCEPTED)
def test_accepted_uris_are_parsed_and_canonicalised(
    raw: str, suffix: str, expected: tuple[str, str, str | None]
) -> None:
    uri = parse_secret_uri(raw, dns_suffix=suffix)
    assert (uri.vault, uri.name, uri.version) == expected
    base = f"https://{expected[0]}{suffix}/secrets/{expected[1]}"
    assert uri.uri == (f"{base}/{expected[2]}" if expected[2] else base)
    assert str(uri) == uri.uri
    assert parse_secret_uri(uri.uri, dns_suffix=suffix) == uri


REFUSED = [
    ("http://demo-kv.vault.azure.net/secrets/user", "must use https (got 'http')"),
    ("demo-kv.vault.azure.net/secrets/user", "must use https"),
    ("ftp://demo-kv.vault.azure.net/secrets/user", "must use https (got 'ftp')"),
    ("https://demo-kv.vault.azure.net:443/secrets/user", "user information or a port"),
    ("https://demo-kv.vault.azure.net:8443/secrets/user", "user information or a port"),
    ("https://me@demo-kv.vault.azure.net/secrets/user", "user information or a port"),
    ("https://me:pw@demo-kv.vault.azure.net/secrets/user", "user information or a port"),
    ("https://demo-kv.vault.azure.net/secrets/user?api-version=7.4", "query string or fragment"),
    ("https://demo-kv.vault.azure.net/secrets/user#v", "query string or fragment"),
    (" https://demo-kv.vault.azure.net/secrets/user", "without surrounding spaces"),
    ("https://demo-kv.vault.azure.net/secrets/user\n", "without surrounding spaces"),
    ("", "without surrounding spaces"),
    ("https://demo-kv.vault.azure.cn/secrets/user", "a Key Vault of this cloud"),
    ("https://demo-kv.evilvault.azure.net/secrets/user", "a Key Vault of this cloud"),
    ("https://demo-kv.vault.azure.net.evil.com/secrets/user", "a Key Vault of this cloud"),
    ("https://a.demo-kv.vault.azure.net/secrets/user", "a Key Vault of this cloud"),
    ("https://vault.azure.net/secrets/user", "a Key Vault of this cloud"),
    ("https://.vault.azure.net/secrets/user", "'' is not a valid Key Vault name"),
    ("https://kv.vault.azure.net/secrets/user", "'kv' is not a valid Key Vault name"),
    ("https://1kv.vault.azure.net/secrets/user", "'1kv' is not a valid Key Vault name"),
    ("https://demo--kv.vault.azure.net/secrets/user", "'demo--kv' is not a valid Key Vault name"),
    ("https://demo-kv-.vault.azure.net/secrets/user", "'demo-kv-' is not a valid Key Vault name"),
    ("https://" + "a" * 25 + ".vault.azure.net/secrets/user", "is not a valid Key Vault name"),
    ("https://demo-kv.vault.azure.net/keys/user", "must have the form"),
    ("https://demo-kv.vault.azure.net/secrets", "must have the form"),
    ("https://demo-kv.vault.azure.net/", "must have the form"),
    ("https://demo-kv.vault.azure.net/secrets/a/b/c", "must have the form"),
    ("https://demo-kv.vault.azure.net//secrets/user", "must have the form"),
    ("https://demo-kv.vault.azure.net/secrets/us_er", "'us_er' is not a valid secret name"),
    ("https://demo-kv.vault.azure.net/secrets/" + "n" * 128, "is not a valid secret name"),
    ("https://demo-kv.vault.azure.net/secrets/user/123", "'123' is not a secret version (32 hex characters)"),
    ("https://demo-kv.vault.azure.net/secrets/user/" + "g" * 32, "is not a secret version"),
]


@pytest.mark.parametrize(("raw", "fragment"), REFUSED)
def test_refused_uris_say_why(raw: str, fragment: str) -> None:
    with pytest.raises(SecretUriError) as caught:
        parse_secret_uri(raw, dns_suffix=PUBLIC)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("allowed", "ok"),
    [((), True), (("demo-kv",), True), (("DEMO-KV", "other"), True), (("other",), False), (("demo",), False)],
)
def test_allowed_vaults(allowed: tuple[str, ...], ok: bool) -> None:
    raw = "https://Demo-KV.vault.azure.net/secrets/user"
    if ok:
        assert parse_secret_uri(raw, dns_suffix=PUBLIC, allowed_vaults=allowed).vault == "demo-kv"
    else:
        with pytest.raises(SecretUriError, match="vault 'demo-kv' is not in ALLOWED_VAULTS"):
            parse_secret_uri(raw, dns_suffix=PUBLIC, allowed_vaults=allowed)


def test_the_suffix_is_matched_case_insensitively() -> None:
    assert (
        parse_secret_uri("https://kv1.vault.azure.net/secrets/x", dns_suffix=".VAULT.AZURE.NET").vault
        == "kv1"
    )


@pytest.mark.parametrize(
    "raw",
    [
        "https://demo-kv.vault.azure.net:/secrets/user",
        "https://demo-kv.vault.azure.net/secrets/user?",
        "https://demo-kv.vault.azure.net/secrets/user#",
    ],
)
def test_empty_port_query_or_fragment_delimiters_are_refused(raw: str) -> None:
    with pytest.raises(SecretUriError):
        parse_secret_uri(raw, dns_suffix=PUBLIC)
