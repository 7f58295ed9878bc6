"""Indexing function_app.py the way the worker does (imports a module from a tmp dir)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devhost import loader

HEADER = "import azure.functions as func\n"


@pytest.fixture(autouse=True)
def _isolated_module() -> Iterator[None]:
    saved_module, saved_path = sys.modules.get("function_app"), list(sys.path)
    yield
    sys.path[:] = saved_path
    if saved_module is None:
        sys.modules.pop("function_app", None)
    else:
        sys.modules["function_app"] = saved_module


def _app(tmp_path: Path, body: str) -> Path:
    (tmp_path / "function_app.py").write_text(HEADER + body)
    return tmp_path


def test_indexes_routes_methods_levels_and_setting_expressions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWEEP_SCHEDULE", "0 */15 * * * *")
    app_dir = _app(
        tmp_path,
        """
app = func.FunctionApp()
bp = func.Blueprint()

@bp.route(route="things/{id}", methods=["get", "PUT"], auth_level="anonymous")
def things(req, context): ...

@app.route()
def default_route(req): ...

@app.timer_trigger(schedule="%SWEEP_SCHEDULE%", arg_name="t", run_on_startup=True)
def sweep(t): ...

app.register_functions(bp)
""",
    )
    specs = {s.name: s for s in loader.index(app_dir)}
    assert specs["things"].route == "things/{id}"
    assert specs["things"].methods == {"GET", "PUT"}
    assert specs["things"].auth_level == "anonymous"
    assert specs["things"].wants_context
    assert specs["default_route"].route == "default_route"
    assert specs["default_route"].methods is None
    assert specs["default_route"].auth_level == "function"
    assert specs["sweep"].schedule.minutes == {0, 15, 30, 45}
    assert specs["sweep"].run_on_startup


def test_unbound_parameters_and_bad_schedules_leave_the_function_out(tmp_path: Path) -> None:
    app_dir = _app(
        tmp_path,
        """
app = func.FunctionApp()

@app.route(route="ok")
def ok(req): ...

@app.route(route="bad")
def unbound(req, other): ...

@app.timer_trigger(schedule="not a schedule", arg_name="t")
def bad_timer(t): ...
""",
    )
    assert [s.name for s in loader.index(app_dir)] == ["ok"]


def test_exactly_one_function_app(tmp_path: Path) -> None:
    with pytest.raises(loader.AppIndexError, match="more than one"):
        loader.index(_app(tmp_path, "a = func.FunctionApp()\nb = func.FunctionApp()\n"))
    with pytest.raises(loader.AppIndexError, match="no module-level"):
        loader.index(_app(tmp_path, "x = 1\n"))
