"""GET /api/dashboard in a real headless Chromium against the whole local stack (behind a function key).

One stack for the module: the demo seed, a fleet of 120 rules (so the page must page), two rules of our own in
``demoregistry``, and a first sweep. Later tests break a rule and sweep from the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.e2e.conftest import KV, REGISTRY, Stack, app_env, docker_rule, put
from tests.support import browser
from tests.support.azurite import start_azurite
from tests.support.devhost import start_devhost
from tests.support.emulator import start_emulator

KEY = "dashboard-test-key"
WAIT = 60
BROKEN = "nginx"  # its password secret gets a disabled version, then "Sweep now" must show it
EXPIRING = "redis"  # its secrets expire in 5 days: a Warning, in the expiry chart
FLEET = {
    "resourceGroup": "fleet-rg",
    "registries": 3,
    "rulesPerRegistry": 40,
    "prefix": "dash",
    "brokenRegistries": 1,
}

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("dashboard")
    with (
        start_azurite(tmp) as azurite,
        start_emulator(tmp / "emulator", seed="demo") as emulator,
        start_devhost(
            browser.REPO_ROOT,
            env=app_env(
                emulator,
                azurite,
                HEALTH_TOPIC_ENDPOINT=f"{emulator.url}/eventgrid/topics/acr-cache-health/api/events",
                HEALTH_TOPIC_KEY="local-topic-key",
            ),
            function_key=KEY,
        ) as devhost,
    ):
        yield Stack(emulator=emulator, azurite=azurite, devhost=devhost)


def _api(stack: Stack, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(
        method, f"{stack.api}/{path}", headers={"x-functions-key": KEY}, timeout=120, **kwargs
    )


def _secret(stack: Stack, name: str, value: str, **attributes: Any) -> None:
    body = {"value": value, **attributes}
    stack.emulator.control("PUT", f"/_emulator/secrets/demo-kv/{name}", json=body).raise_for_status()


@pytest.fixture(scope="module")
def fleet(stack: Stack) -> Stack:
    stack.emulator.control("POST", "/_emulator/fleet", json=FLEET).raise_for_status()
    _secret(stack, "nginx-username", "demo-user")
    _secret(stack, "nginx-password", "demo-password")
    headers = {"x-functions-key": KEY}
    rules = stack.rules_url()
    ok = put(f"{rules}/ubuntu", docker_rule("ubuntu"), headers=headers)
    assert ok.status_code == 201, ok.text
    expires = int(stack.emulator.control("GET", "/_emulator/clock").json()["now"]) + 5 * 86400
    _secret(stack, "redis-username", "demo-user", exp=expires)
    _secret(stack, "redis-password", "demo-password", exp=expires)
    for name, secrets in ((BROKEN, "nginx"), (EXPIRING, "redis")):
        rule = docker_rule(name)
        rule["credentials"] = {
            "usernameSecretUri": f"{KV}/secrets/{secrets}-username",
            "passwordSecretUri": f"{KV}/secrets/{secrets}-password",
            "credentialSetName": f"{secrets}-creds",
        }
        made = put(f"{rules}/{name}", rule, headers=headers)
        assert made.status_code == 201, made.text
    swept = _api(stack, "POST", "sweeps")
    assert swept.status_code == 200 and swept.json()["failures"] == [], swept.text
    return stack


@pytest.fixture(scope="module")
def driver(fleet: Stack) -> Iterator[Any]:
    chromium = browser.start()
    try:
        yield chromium
    finally:
        chromium.quit()


def _loads(driver: Any) -> int:
    return int(driver.execute_script("return document.body.dataset.loads || 0"))


def _redrawn(driver: Any, before: int) -> None:
    """Wait until the page finished drawing once more than ``before`` times."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, WAIT).until(lambda d: _loads(d) > before)


def _open(driver: Any, stack: Stack, size: tuple[int, int] = browser.LAPTOP) -> None:
    """Load the page (with the function key, as a user of a FUNCTION-level app would) and wait for its data."""
    driver.set_window_size(*size)
    driver.get(f"{stack.api}/dashboard?code={KEY}")
    _redrawn(driver, 0)


def _number(driver: Any, element_id: str) -> int:
    return int(re.sub(r"\D", "", driver.find_element("id", element_id).text))


def _row(driver: Any, name: str) -> Any:
    return driver.find_element("css selector", f"tr.rule[data-rule$='/cacheRules/{name}']")


def _filter(driver: Any, *, status: str = "", registry: str = "") -> None:
    from selenium.webdriver.support.ui import Select

    before = _loads(driver)
    Select(driver.find_element("id", "filter-status")).select_by_value(status)
    field = driver.find_element("id", "filter-registry")
    field.clear()
    field.send_keys(registry)
    driver.find_element("css selector", "#filters button[type=submit]").click()
    _redrawn(driver, before)


def test_the_page_needs_the_function_key_and_sends_a_strict_policy(fleet: Stack) -> None:
    assert requests.get(f"{fleet.api}/dashboard", timeout=30).status_code == 401
    page = requests.get(f"{fleet.api}/dashboard", headers={"x-functions-key": KEY}, timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce and "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy and "http" not in policy
    assert page.text.count(f'nonce="{nonce.group(1)}"') == 2  # the one style and the one script
    again = requests.get(f"{fleet.api}/dashboard", headers={"x-functions-key": KEY}, timeout=30)
    assert nonce.group(1) not in again.headers["Content-Security-Policy"]  # a fresh nonce every response


def test_it_loads_with_no_console_error_and_no_request_outside_the_app(driver: Any, fleet: Stack) -> None:
    browser.console(driver), browser.requested(driver)  # drop what earlier pages logged
    _open(driver, fleet)
    errors = [e for e in browser.console(driver) if e["level"] == "SEVERE"]
    assert errors == []
    urls = browser.requested(driver)
    outside = [u for u in urls if not u.startswith(fleet.devhost.url + "/api/") and not u.startswith("data:")]
    assert outside == []
    health = [parse_qs(urlsplit(u).query) for u in urls if urlsplit(u).path == "/api/health"]
    assert health and all(q.get("top") == ["50"] for q in health), urls  # never the whole fleet at once


def test_the_tiles_equal_the_health_summary(driver: Any, fleet: Stack) -> None:
    _open(driver, fleet)
    report = _api(fleet, "GET", "health", params={"top": "1"}).json()
    summary = report["summary"]
    assert summary["rules"] == 123 and summary["unhealthy"] >= 40
    shown = {k: _number(driver, f"tile-{k}") for k in ("rules", "healthy", "warning", "unhealthy")}
    assert shown == {k: summary[k] for k in shown}
    assert _number(driver, "tile-registries") == report["lastSweep"]["registries"]
    assert "Azure requests" in driver.find_element("id", "tile-sweep-cost").text
    assert summary["warning"] == _number(driver, "tile-warning") == 1
    expiry = driver.find_element("id", "expiry").text
    assert f"{REGISTRY}/{EXPIRING}" in expiry and re.search(r"\b[45]\.\d days", expiry), expiry


def test_the_table_is_paged_and_filtered_by_the_server(driver: Any, fleet: Stack) -> None:
    _open(driver, fleet)
    assert len(driver.find_elements("css selector", "tr.rule")) == 50
    assert driver.find_element("id", "rules-count").text == "Showing 1\u201350 of 123 rules"
    statuses = [r.get_attribute("data-status") for r in driver.find_elements("css selector", "tr.rule")]
    assert statuses[:40] == ["Unhealthy"] * 40  # failing first
    browser.requested(driver)
    driver.find_element("id", "page-next").click()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, WAIT).until(
        lambda d: d.find_element("id", "rules-count").text.startswith("Showing 51\u2013100")
    )
    assert any("skip=50" in u for u in browser.requested(driver))
    _filter(driver, status="Unhealthy", registry="dash0000")
    WebDriverWait(driver, WAIT).until(
        lambda d: d.find_element("id", "rules-count").text == "Showing 1\u201340 of 40 rules"
    )
    rows = driver.find_elements("css selector", "tr.rule")
    assert {r.get_attribute("data-status") for r in rows} == {"Unhealthy"}
    assert "may not read the secrets" in rows[0].text  # AccessMissing, in plain words
    groups = [g.text for g in driver.find_elements("css selector", "th.group")]
    assert groups == ["Registry dash0000 · 40 shown, 40 failing"]
    assert _number(driver, "tile-rules") == 123  # the tiles keep showing the whole fleet


def test_a_rule_broken_in_the_emulator_shows_unhealthy_with_its_reason_after_sweep_now(
    driver: Any, fleet: Stack
) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    _open(driver, fleet)
    _filter(driver, registry=REGISTRY)
    assert _row(driver, BROKEN).get_attribute("data-status") == "Healthy"
    _secret(fleet, "nginx-password", "demo-password", enabled=False)
    driver.find_element("id", "sweep-now").click()
    WebDriverWait(driver, WAIT).until(lambda d: "Sweep done" in d.find_element("id", "announce").text)
    WebDriverWait(driver, WAIT).until(lambda d: _row(d, BROKEN).get_attribute("data-status") == "Unhealthy")
    row = _row(driver, BROKEN)
    assert "Unhealthy" in row.find_element("css selector", ".badge").text  # a word, not only a colour
    assert "A secret behind the credentials is disabled" in row.text
    assert "nginx-password" in row.find_element("css selector", ".message").text
    assert _row(driver, "ubuntu").get_attribute("data-status") == "Healthy"
    flags = driver.find_element("id", "flags").text
    assert f"{REGISTRY}/{BROKEN}" in flags


def _answer(driver: Any, name: str, selector: str) -> Any:
    """The answer drawn in place under rule ``name``'s row, once there."""
    from selenium.webdriver.support.ui import WebDriverWait

    css = f"tr.rule[data-rule$='/cacheRules/{name}'] + tr.answer {selector}"
    return WebDriverWait(driver, WAIT).until(lambda d: d.find_element("css selector", css))


def test_validate_shows_its_answer_in_place(driver: Any, fleet: Stack) -> None:
    _open(driver, fleet)
    _filter(driver, registry=REGISTRY)
    from selenium.webdriver.common.keys import Keys

    _row(driver, BROKEN).find_element("css selector", "button[data-action=validate]").click()
    assert _answer(driver, BROKEN, ".verdict").text.startswith("Not valid:")
    by_keyboard = _row(driver, "ubuntu").find_element("css selector", "button[data-action=validate]")
    by_keyboard.send_keys(Keys.ENTER)  # focus it and press Enter, as a keyboard user would
    assert _answer(driver, "ubuntu", ".verdict").text == "Valid: a pull through ubuntu would work."
    assert "nginx-password" in _answer(driver, BROKEN, "li").find_element("xpath", "..").text
    credentials = _row(driver, BROKEN).find_element("css selector", "button[data-action=details]")
    credentials.click()
    assert credentials.get_attribute("aria-expanded") == "true"
    detail = _answer(driver, BROKEN, "td > span")
    assert detail.text.startswith("Credential set nginx-creds") and "vault demo-kv" in detail.text


@pytest.mark.parametrize(("width", "size"), [("laptop", browser.LAPTOP), ("phone", browser.PHONE)])
def test_it_passes_axe_and_is_screenshot_at_laptop_and_phone_widths(
    driver: Any, fleet: Stack, tmp_path: Path, width: str, size: tuple[int, int]
) -> None:
    _open(driver, fleet, size)
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in browser.axe_violations(driver)
        if v.get("impact") in ("serious", "critical")
    ]
    assert serious == []
    shot = tmp_path / f"dashboard-{width}.png"
    assert driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    assert (
        driver.execute_script("return document.documentElement.scrollWidth") <= size[0]
    )  # no sideways scroll
