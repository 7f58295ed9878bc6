"""Real Azure CLI against the local emulator: a cached az install plus an isolated, offline az profile.

Used by scripts/az-local (the shell entry point) and tests/integration/az. The CLI lives in its own venv
outside the repo because it is ~730 MB and its pinned dependencies clash with the app's. Standard library
only, so any python3 can run it before the repo's venv exists.
"""

from __future__ import annotations

import argparse
import configparser
import fcntl
import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

AZURE_CLI_VERSION = "2.91.0"
CLOUD_NAME = "AzureLocal"
DEFAULT_PORT = 8443
IDENTITY_HEADER = "az-local"
INSTALL_TIMEOUT_SECONDS = 1800
AZ_TIMEOUT_SECONDS = 120
REPO_ROOT = Path(__file__).resolve().parents[1]
MARKER_NAME = ".installed"
PROFILE_STAMP = ".az-local.json"
# Offline and quiet: no telemetry, survey, upgrade check, or dynamic extension install.
OFFLINE_CONFIG = {
    ("core", "collect_telemetry"): "no",
    ("core", "survey_message"): "no",
    ("core", "first_run"): "no",
    ("core", "no_color"): "true",
    ("auto-upgrade", "enable"): "no",
    ("extension", "use_dynamic_install"): "no",
}
OFFLINE_VARIABLES = {"AZURE_CORE_COLLECT_TELEMETRY": "no", "AZURE_CORE_SURVEY_MESSAGE": "no"}
# Other credential flows az or MSAL could pick up from the caller's shell instead of the emulator's.
STALE_VARIABLES = ("MSI_ENDPOINT", "MSI_SECRET", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID")


class AzError(RuntimeError):
    """An az command exited non-zero; carries what it printed so callers can assert on the service error."""

    def __init__(self, args: list[str], returncode: int, stdout: str, stderr: str) -> None:
        super().__init__(f"az {shlex.join(args)} exited {returncode}: {stderr.strip()}")
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "acr-cache-autopilot"


def venv_dir(version: str = AZURE_CLI_VERSION) -> Path:
    return cache_root() / f"azure-cli-{version}"


def az_executable(version: str = AZURE_CLI_VERSION) -> Path:
    return venv_dir(version) / "bin" / "az"


@contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """Serialise installs across processes (parallel test runs, two shells)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _installed(version: str) -> bool:
    return (venv_dir(version) / MARKER_NAME).is_file() and az_executable(version).is_file()


def _python311() -> str:
    found = shutil.which("python3.11")
    if found:
        return found
    if sys.version_info[:2] == (3, 11):
        return sys.executable
    raise RuntimeError("python3.11 is needed to install azure-cli")


def ensure_azure_cli(version: str = AZURE_CLI_VERSION) -> Path:
    """Return the az executable, installing azure-cli into the cache venv first if it is missing or broken."""
    if _installed(version):
        return az_executable(version)
    target = venv_dir(version)
    with _exclusive_lock(cache_root() / f"azure-cli-{version}.lock"):
        if _installed(version):  # another process finished it while we waited
            return az_executable(version)
        if target.exists():  # half made by an interrupted run: do not trust it
            shutil.rmtree(target)
        print(f"installing azure-cli {version} into {target} (first run only, ~1 min)", file=sys.stderr)
        log_path = cache_root() / f"azure-cli-{version}.install.log"
        with log_path.open("w") as log:
            for step in (
                [_python311(), "-m", "venv", str(target)],
                [str(target / "bin" / "python"), "-m", "pip", "install", f"azure-cli=={version}"],
            ):
                done = subprocess.run(
                    step, stdout=log, stderr=subprocess.STDOUT, timeout=INSTALL_TIMEOUT_SECONDS, check=False
                )
                if done.returncode != 0:
                    raise RuntimeError(f"{shlex.join(step)} failed; see {log_path}")
        probe = run_az(
            az_executable(version), offline_environment(target / ".probe-config"), "version", timeout=300
        )
        if json.loads(probe).get("azure-cli") != version:
            raise RuntimeError(f"installed az does not report version {version}")
        (target / MARKER_NAME).write_text(version + "\n")
    return az_executable(version)


def offline_environment(config_dir: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env.update(OFFLINE_VARIABLES)
    env["AZURE_CONFIG_DIR"] = str(config_dir)
    return env


def profile_variables(config_dir: Path, ca_path: Path, port: int) -> dict[str, str]:
    """What points az at the emulator: its own profile, the emulator's CA and managed identity endpoint."""
    return {
        **OFFLINE_VARIABLES,
        "AZURE_CONFIG_DIR": str(config_dir),
        "REQUESTS_CA_BUNDLE": str(ca_path),
        "IDENTITY_ENDPOINT": f"https://127.0.0.1:{port}/msi/token",
        "IDENTITY_HEADER": IDENTITY_HEADER,
    }


def az_environment(
    config_dir: Path, ca_path: Path, port: int, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in STALE_VARIABLES}
    env.update(profile_variables(config_dir, ca_path, port))
    return env


def run_az(az: Path, env: Mapping[str, str], *args: str, timeout: float = AZ_TIMEOUT_SECONDS) -> str:
    """Run one az command; raise AzError (with its output) when it fails."""
    command = [str(az), *args]
    done = subprocess.run(
        command, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise AzError(list(args), done.returncode, done.stdout, done.stderr)
    return done.stdout


def configure_profile(az: Path, env: Mapping[str, str], port: int, cloud: str = CLOUD_NAME) -> None:
    """Register and select the local cloud and log in with the emulator's identity (skipped when done)."""
    config_dir = Path(env["AZURE_CONFIG_DIR"])
    endpoint = f"https://127.0.0.1:{port}"
    stamp_path = config_dir / PROFILE_STAMP
    wanted = {"azureCli": AZURE_CLI_VERSION, "cloud": cloud, "resourceManager": endpoint}
    if stamp_path.is_file() and (config_dir / "azureProfile.json").is_file():
        try:
            if json.loads(stamp_path.read_text()) == wanted:
                return
        except ValueError:
            pass
    stamp_path.unlink(missing_ok=True)
    config_dir.mkdir(parents=True, exist_ok=True)
    _write_offline_config(config_dir)
    registered = run_az(az, env, "cloud", "list", "--query", f"[?name=='{cloud}'].name", "-o", "tsv")
    verb = "update" if registered.strip() == cloud else "register"
    # az reads GET {endpoint}/metadata/endpoints to fill in the cloud's other endpoints and suffixes.
    run_az(az, env, "cloud", verb, "--name", cloud, "--endpoint-resource-manager", endpoint)
    run_az(az, env, "cloud", "set", "--name", cloud)
    run_az(az, env, "login", "--identity", "--allow-no-subscriptions", "--output", "none")
    stamp_path.write_text(json.dumps(wanted) + "\n")


def _write_offline_config(config_dir: Path) -> None:
    """Edit az's ini config directly: `az config set` costs a CLI start per key."""
    path = config_dir / "config"
    parser = configparser.ConfigParser()
    parser.read(path)
    for (section, key), value in OFFLINE_CONFIG.items():
        if not parser.has_section(section):
            parser.add_section(section)
        parser.set(section, key, value)
    with path.open("w") as handle:
        parser.write(handle)


def _shell_lines(az: Path, variables: Mapping[str, str]) -> str:
    lines = [f"unset {' '.join(STALE_VARIABLES)}"]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in variables.items()]
    lines.append(f"export AZ_LOCAL_BIN={shlex.quote(str(az))}")
    return "\n".join(lines) + "\n"


def stack_port(stack_file: Path) -> int:
    """The emulator port `make run` recorded (devhost/stack.py writes it), else the default."""
    try:
        return int(json.loads(stack_file.read_text())["emulator"])
    except (OSError, ValueError, KeyError, TypeError):
        return DEFAULT_PORT


def main(argv: list[str] | None = None) -> int:
    """`install` prints az's path; `configure` sets up the profile and prints shell exports for it;
    `stack-port` prints the emulator port the running `make run` uses."""
    parser = argparse.ArgumentParser(description="Azure CLI against the local emulator")
    parser.add_argument("step", choices=["install", "configure", "stack-port"])
    parser.add_argument("--stack-file", type=Path, default=REPO_ROOT / ".local" / "stack.json")
    parser.add_argument("--port", type=int, default=int(os.environ.get("EMULATOR_PORT") or DEFAULT_PORT))
    parser.add_argument("--config-dir", type=Path, default=REPO_ROOT / ".local" / "az")
    parser.add_argument("--ca", type=Path, default=REPO_ROOT / ".local" / "emulator" / "ca.pem")
    args = parser.parse_args(argv)
    if args.step == "stack-port":
        print(stack_port(args.stack_file))
        return 0
    try:
        az = ensure_azure_cli()
        if args.step == "install":
            print(az)
            return 0
        if not args.ca.is_file():
            print(f"az-local: no emulator CA at {args.ca}: is `make run` up?", file=sys.stderr)
            return 2
        config_dir, ca_path = args.config_dir.resolve(), args.ca.resolve()
        configure_profile(az, az_environment(config_dir, ca_path, args.port), args.port)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        print(f"az-local: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(_shell_lines(az, profile_variables(config_dir, ca_path, args.port)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
