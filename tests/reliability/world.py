"""What the reliability scenarios build and how they judge the end state: read straight from the emulator's ARM
(not through the app), so a wrong answer from the app cannot hide a wrong state in Azure."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests

from tests.e2e.conftest import SUBSCRIPTION, Stack
from tests.reliability.conftest import Pair

API = {"api-version": "2025-11-01"}
RG_PATH = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/demo-rg"
REGISTRY_PATH = f"{RG_PATH}/providers/Microsoft.ContainerRegistry/registries/demoregistry"
VAULTS = {"demo-kv": False, "demo-kv-rbac": True}  # name -> RBAC
SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
PROBLEM = "application/problem+json"


def vault_path(vault: str) -> str:
    return f"{RG_PATH}/providers/Microsoft.KeyVault/vaults/{vault}"


@dataclass(frozen=True)
class RuleSpec:
    """One rule of a scenario: Docker Hub image ``target`` with the secrets ``user-<pair>``/``pass-<pair>``."""

    target: str
    vault: str
    pair: int

    def body(self) -> dict[str, Any]:
        kv = f"https://{self.vault}.vault.azure.net/secrets"
        return {
            "sourceRepository": f"docker.io/library/{self.target}",
            "targetRepository": self.target,
            "credentials": {
                "usernameSecretUri": f"{kv}/user-{self.pair}",
                "passwordSecretUri": f"{kv}/pass-{self.pair}",
            },
        }


def rule_specs(count: int, *, pairs: int, prefix: str = "image") -> list[RuleSpec]:
    """``count`` rules over both vaults, ``pairs`` secret pairs per vault (rules sharing a pair share a set)."""
    vaults = sorted(VAULTS)
    return [RuleSpec(f"{prefix}{i}", vaults[i % 2], (i // 2) % pairs) for i in range(count)]


def seed_secrets(stack: Stack, pairs: int) -> None:
    """The demo Docker Hub login under ``pairs`` secret names in each vault."""
    for vault in VAULTS:
        for pair in range(pairs):
            for name, value in ((f"user-{pair}", "demo-user"), (f"pass-{pair}", "demo-password")):
                stack.emulator.control(
                    "PUT", f"/_emulator/secrets/{vault}/{name}", json={"value": value}
                ).raise_for_status()


def set_faults(stack: Stack, faults: list[dict[str, Any]]) -> None:
    stack.emulator.control("PUT", "/_emulator/faults", json=faults).raise_for_status()


def is_problem(answer: requests.Response) -> bool:
    """A failure the caller can see and act on: an RFC 9457 body with its status."""
    if answer.status_code < 400 or not answer.headers.get("Content-Type", "").startswith(PROBLEM):
        return False
    body = answer.json()
    return bool(body.get("status") == answer.status_code and body.get("type") and body.get("detail"))


def put_until_done(url: str, body: Any, *, attempts: int = 20) -> requests.Response:
    """What a well-behaved client does after a failure: send the same PUT again (honouring Retry-After)."""
    answer = requests.put(url, json=body, timeout=120)
    for _ in range(attempts):
        if answer.status_code < 400:
            return answer
        time.sleep(min(float(answer.headers.get("Retry-After") or 0.5), 5.0))
        answer = requests.put(url, json=body, timeout=120)
    return answer


@dataclass
class AzureState:
    rules: dict[str, str | None]  # rule name -> credential set resource ID
    sets: dict[str, dict[str, Any]]  # set resource ID (lower) -> the set
    policies: dict[str, set[str]]  # vault -> principals with an access policy
    assignments: dict[str, set[str]]  # vault -> principals with Key Vault Secrets User

    def principal(self, set_id: str) -> str:
        return str(self.sets[set_id.lower()]["identity"]["principalId"])


def _read(stack: Stack, url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
    """GET from ARM as the app's identity, waiting out 429s: the checks share the app's read budget."""
    token = stack.emulator.token_credential().get_token("https://management.azure.com/.default").token
    for _ in range(30):
        answer = requests.get(
            url if url.startswith("https://") else stack.emulator.url + url,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            verify=str(stack.emulator.ca_path),
            timeout=30,
        )
        if answer.status_code != 429:
            break
        time.sleep(float(answer.headers.get("Retry-After") or 1))
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    return body


def _all(stack: Stack, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
    page = _read(stack, path, params)
    items = list(page["value"])
    while page.get("nextLink"):
        page = _read(stack, page["nextLink"])
        items += page["value"]
    return items


def azure_state(stack: Stack) -> AzureState:
    stack.emulator.control("PUT", "/_emulator/faults", json=[]).raise_for_status()
    rules = {
        r["name"]: r["properties"].get("credentialSetResourceId")
        for r in _all(stack, f"{REGISTRY_PATH}/cacheRules", API)
    }
    sets = {s["id"].lower(): s for s in _all(stack, f"{REGISTRY_PATH}/credentialSets", API)}
    policies, assignments = {}, {}
    for vault in VAULTS:
        found = _read(stack, vault_path(vault), {"api-version": "2023-07-01"})
        policies[vault] = {p["objectId"] for p in found["properties"].get("accessPolicies") or []}
        listed = _all(
            stack,
            f"{vault_path(vault)}/providers/Microsoft.Authorization/roleAssignments",
            {"api-version": "2022-04-01"},
        )
        assignments[vault] = {
            a["properties"]["principalId"]
            for a in listed
            if a["properties"]["roleDefinitionId"].rsplit("/", 1)[-1] == SECRETS_USER
        }
    return AzureState(rules=rules, sets=sets, policies=policies, assignments=assignments)


def convergence_problems(state: AzureState, specs: list[RuleSpec], baseline: AzureState) -> list[str]:
    """Everything wrong with the end state: rules lost, sets orphaned, grants missing or extra (empty = converged)."""
    problems = []
    for spec in specs:
        if spec.target not in state.rules:
            problems.append(f"rule {spec.target} lost")
    used = {(cs or "").lower() for cs in state.rules.values() if cs}
    for set_id, cs in state.sets.items():
        if set_id not in used and set_id not in baseline.sets:
            problems.append(f"credential set {cs['name']} orphaned (no rule uses it)")
        state_name = cs["properties"].get("provisioningState")
        if state_name != "Succeeded":
            problems.append(f"credential set {cs['name']} left {state_name}")
    expected: dict[str, set[str]] = {vault: set() for vault in VAULTS}
    for spec in specs:
        set_id = state.rules.get(spec.target)
        if set_id and set_id.lower() in state.sets:
            expected[spec.vault].add(state.principal(set_id))
    for vault, rbac in VAULTS.items():
        granted = state.assignments[vault] if rbac else state.policies[vault]
        before = baseline.assignments[vault] if rbac else baseline.policies[vault]
        for missing in sorted(expected[vault] - granted):
            problems.append(f"grant missing in {vault} for {missing}")
        for extra in sorted(granted - before - expected[vault]):
            problems.append(f"grant extra in {vault} for {extra}")
    return problems


def secret_event(vault: str, name: str, version: str, *, event_id: str) -> dict[str, Any]:
    """Key Vault's SecretNewVersionCreated in the Event Grid schema (as in Microsoft's sample)."""
    return {
        "id": event_id,
        "topic": vault_path(vault),
        "subject": name,
        "eventType": "Microsoft.KeyVault.SecretNewVersionCreated",
        "eventTime": "2026-01-01T00:00:00Z",
        "data": {
            "Id": f"https://{vault}.vault.azure.net/secrets/{name}/{version}",
            "VaultName": vault,
            "ObjectType": "Secret",
            "ObjectName": name,
            "Version": version,
            "NBF": None,
            "EXP": None,
        },
        "dataVersion": "1",
        "metadataVersion": "1",
    }


def deliver(devhost_url: str, events: list[dict[str, Any]]) -> requests.Response:
    """One Event Grid delivery (a batch) to the Key Vault handler, as Event Grid posts it."""
    return requests.post(
        f"{devhost_url}/runtime/webhooks/eventgrid",
        params={"functionName": "on_keyvault_event"},
        json=events,
        headers={"aeg-event-type": "Notification"},
        timeout=300,
    )


def new_version(stack: Stack, vault: str, name: str, value: str) -> str:
    """A new secret version a second after the last (Key Vault orders versions by whole seconds)."""
    stack.emulator.control("POST", "/_emulator/clock", json={"advanceSeconds": 2}).raise_for_status()
    answer = stack.emulator.control("PUT", f"/_emulator/secrets/{vault}/{name}", json={"value": value})
    answer.raise_for_status()
    return str(answer.json()["version"])


def until(probe: Any, what: str, *, attempts: int = 300, pause: float = 0.1) -> None:
    """Poll (bounded by attempts, never asserting on time) until ``probe()`` is true."""
    for _ in range(attempts):
        if probe():
            return
        time.sleep(pause)
    raise AssertionError(f"never saw {what}")


def fault_spent(stack: Stack) -> bool:
    """Every injected fault has been taken: a delayed request is now inside the emulator."""
    listing = stack.emulator.control("GET", "/_emulator/faults").json()
    return all(f["remaining"] == 0 for f in listing)


def faults_settled(stack: Stack) -> bool:
    """No request a fault delayed is still being served (it would land in the next test's state)."""
    listing = stack.emulator.control("GET", "/_emulator/faults").json()
    return all(f["inFlight"] == 0 for f in listing)


ROTATION_VAULT = "demo-kv"


def make_rotation_group(fresh: Pair, group: str, *, secrets: int, versions: int) -> dict[str, list[str]]:
    """``secrets`` credential sets ``<group>set<i>`` (made through both instances) pinned to the first version of
    their own password secret, which then gets ``versions`` newer versions; returns each secret's versions."""
    stack = fresh.stack
    vault = ROTATION_VAULT
    stack.emulator.control("PUT", f"/_emulator/secrets/{vault}/{group}-user", json={"value": "demo-user"})
    made: dict[str, list[str]] = {}
    for i in range(secrets):
        secret = f"{group}-pass-{i}"
        first = new_version(stack, vault, secret, "demo-password")
        body = {
            "loginServer": "docker.io",
            "usernameSecretUri": f"https://{vault}.vault.azure.net/secrets/{group}-user",
            "passwordSecretUri": f"https://{vault}.vault.azure.net/secrets/{secret}/{first}",
        }
        url = f"{fresh.instances[i % 2].url}/api/registries/demoregistry/credential-sets/{group}set{i}"
        answer = requests.put(url, json=body, timeout=120)
        assert answer.status_code == 201, answer.text
        made[secret] = [first]
    for _ in range(versions):
        for secret in made:
            made[secret].append(new_version(stack, vault, secret, "demo-password"))
    return made


def rotation_events(versions: dict[str, list[str]]) -> list[dict[str, Any]]:
    """One SecretNewVersionCreated per new version, oldest first."""
    return [
        secret_event(ROTATION_VAULT, secret, version, event_id=f"{secret}-{version}")
        for secret, listed in versions.items()
        for version in listed[1:]
    ]


def deliver_all(fresh: Pair, batches: list[list[dict[str, Any]]], *, workers: int, pause: float = 0.0) -> int:
    """Deliver every batch over both instances, redelivering failed ones (Event Grid retries a batch that did not
    answer 2xx), ``pause`` seconds between rounds; returns how many deliveries failed on the way."""
    pending, failed = batches, 0
    for _ in range(40):
        if not pending:
            return failed

        def send(item: tuple[int, list[dict[str, Any]]]) -> bool:
            return deliver(fresh.instances[item[0] % 2].url, item[1]).status_code < 300

        with ThreadPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(send, enumerate(pending)))
        pending = [batch for batch, ok in zip(pending, done, strict=True) if not ok]
        failed += len(pending)
        if pending:
            time.sleep(pause)
    raise AssertionError(f"{len(pending)} batches never accepted")


def rotation_end_state(fresh: Pair, group: str, *, secrets: int) -> tuple[list[str], Counter[str]]:
    """Each set's password secret version, and the Azure writes per set (index, not name, so groups compare)."""
    versions = []
    for i in range(secrets):
        url = f"{fresh.stack.api}/registries/demoregistry/credential-sets/{group}set{i}"
        versions.append(requests.get(url, timeout=30).json()["passwordSecretUri"].rsplit("/", 1)[-1])
    writes: Counter[str] = Counter()
    for r in fresh.stack.arm_writes():
        marker = f"/credentialSets/{group}set"
        if marker in r["path"] and r["status"] < 300 and r["method"] != "PUT":
            writes[r["path"].split(marker)[1].split("?")[0]] += 1
    return versions, writes
