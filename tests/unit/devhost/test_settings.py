import json
from pathlib import Path

import pytest

from devhost.settings import SettingsError, apply_settings, find_settings_file, read_settings


def _write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_local_settings_win_over_sample(tmp_path: Path) -> None:
    _write(tmp_path / "local.settings.sample.json", {"Values": {"A": "sample"}})
    local = _write(tmp_path / "local.settings.json", {"Values": {"A": "local"}})
    assert find_settings_file(tmp_path) == local


def test_sample_is_the_fallback_and_none_without_either(tmp_path: Path) -> None:
    assert find_settings_file(tmp_path) is None
    sample = _write(tmp_path / "local.settings.sample.json", {"Values": {}})
    assert find_settings_file(tmp_path) == sample


def test_explicit_file_wins_and_must_exist(tmp_path: Path) -> None:
    _write(tmp_path / "local.settings.json", {"Values": {}})
    explicit = _write(tmp_path / "other.json", {"Values": {}})
    assert find_settings_file(tmp_path, explicit) == explicit
    with pytest.raises(SettingsError, match="does not exist"):
        find_settings_file(tmp_path, tmp_path / "missing.json")


def test_environment_wins_over_file_values(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "s.json",
        {
            "IsEncrypted": False,
            "Values": {"KEEP": "file", "NEW": "file", "FLAG": True, "REQUESTS_CA_BUNDLE": ".local/ca.pem"},
        },
    )
    environ = {"KEEP": "environment"}
    applied = apply_settings(read_settings(path), environ)
    assert environ == {
        "KEEP": "environment",
        "NEW": "file",
        "FLAG": "true",
        "REQUESTS_CA_BUNDLE": ".local/ca.pem",
    }
    assert sorted(applied) == ["FLAG", "NEW", "REQUESTS_CA_BUNDLE"]


def test_encrypted_files_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.json", {"IsEncrypted": True, "Values": {"A": "c2VjcmV0"}})
    with pytest.raises(SettingsError, match="encrypted"):
        read_settings(path)


def test_host_local_http_port_and_malformed_files(tmp_path: Path) -> None:
    assert (
        read_settings(
            _write(tmp_path / "p.json", {"Values": {}, "Host": {"LocalHttpPort": 7072}})
        ).local_http_port
        == 7072
    )
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(SettingsError, match="cannot read"):
        read_settings(tmp_path / "bad.json")
