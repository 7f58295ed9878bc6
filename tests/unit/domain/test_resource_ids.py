"""ARM resource IDs: parsed in any casing, and anything else refused with ValueError (never another error)."""

from __future__ import annotations

import pytest

from shared.domain.resource_ids import parse_resource_id

RULE = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/reg1/cacheRules/ubuntu"


def test_a_child_resource_id_is_split_into_types_and_names() -> None:
    parsed = parse_resource_id(RULE.upper())
    assert (parsed.subscription_id, parsed.resource_group, parsed.provider) == (
        "S1",
        "RG",
        "MICROSOFT.CONTAINERREGISTRY",
    )
    assert (parsed.types, parsed.names) == (("REGISTRIES", "CACHERULES"), ("REG1", "UBUNTU"))


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "/subscriptions/s1",
        "/subscriptions/s1/resourceGroups/rg",
        "/subscriptions/s1/resourceGroups/rg/providers",
        "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault",
        "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults",
        "/subscriptions/s1/resourceGroups",
    ],
)
def test_anything_else_is_a_value_error(raw: str) -> None:
    with pytest.raises(ValueError, match="not an ARM resource ID"):
        parse_resource_id(raw)
