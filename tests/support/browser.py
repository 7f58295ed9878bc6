"""Headless Debian Chromium driven by selenium, for the dashboard tests and benchmark.

``make setup`` installs the ``chromium`` and ``chromium-driver`` packages where it can; where they (or the selenium
wheel, or the ``axe-core`` npm package) are missing, :func:`missing` names what to install so tests skip saying so.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM_BINARY") or shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
LAPTOP, PHONE = (1366, 900), (390, 844)


def missing() -> str | None:
    """What must be installed before a browser test can run, or None."""
    for path, package in ((CHROMIUM, "Debian package chromium"), (DRIVER, "Debian package chromium-driver")):
        if not Path(path).is_file():
            return f"{package} is not installed ({path} not found): run `make setup` as root"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium wheel is not installed: run `make setup`"
    if not AXE.is_file():
        return "the npm package axe-core is not installed (node_modules/axe-core): run `make setup`"
    return None


def start(size: tuple[int, int] = LAPTOP) -> Any:
    """A fresh headless Chromium that keeps its console and network logs for :func:`console` and :func:`requested`."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--disable-background-networking")  # no update or safe-browsing calls to count
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_window_size(*size)
    return driver


def console(driver: Any) -> list[dict[str, Any]]:
    """Console entries since the last call (errors are level SEVERE)."""
    entries: list[dict[str, Any]] = driver.get_log("browser")
    return entries


def requested(driver: Any) -> list[str]:
    """URLs the page requested since the last call, from Chromium's network log."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(str(message["params"]["request"]["url"]))
    return urls


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2 A/AA and best-practice violations on the page as it is now."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice']})"
        ".then((r) => done(r), (e) => done({violations: [{id: 'axe-error', impact: 'critical', help: String(e)}]}));"
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations
