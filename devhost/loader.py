"""Index function_app.py the way the Python worker does (v2 programming model).

The worker imports the module, takes its one module-level `FunctionRegister` (a `func.FunctionApp`
or subclass), calls `get_functions()` once and reads each function's raw bindings (the function.json
form it reports to the host). Binding expressions `%SETTING%` are resolved from app settings as the
host does.
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import json
import logging
import os
import re
import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azure.functions.decorators.function_app import Function, FunctionRegister

from devhost import ncrontab

log = logging.getLogger("devhost")

HTTP_TRIGGER = "httpTrigger"
EVENT_GRID_TRIGGER = "eventGridTrigger"
TIMER_TRIGGER = "timerTrigger"
QUEUE_TRIGGER = "queueTrigger"


class AppIndexError(Exception):
    """function_app.py cannot be indexed (no app, several apps, import failure)."""


@dataclass
class FunctionSpec:
    """One indexed function: what the devhost needs to route to it and call it."""

    name: str
    trigger_type: str
    trigger_arg: str
    user_function: Callable[..., Any]
    trigger: dict[str, Any]
    bindings: list[dict[str, Any]] = field(default_factory=list)
    wants_context: bool = False
    trigger_annotation: Any = None

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.user_function)

    @property
    def route(self) -> str:
        return str(self.trigger.get("route") or self.name)

    @property
    def methods(self) -> frozenset[str] | None:
        methods = self.trigger.get("methods")
        return frozenset(str(m).upper() for m in methods) if methods else None

    @property
    def auth_level(self) -> str:
        return str(self.trigger.get("authLevel") or "function").lower()

    @functools.cached_property
    def schedule(self) -> ncrontab.Schedule:
        return ncrontab.parse(str(self.trigger.get("schedule", "")))

    @property
    def run_on_startup(self) -> bool:
        return bool(self.trigger.get("runOnStartup"))


def _resolve_expressions(value: Any) -> Any:
    """Replace `%NAME%` with the app setting NAME (an unknown setting is an indexing error)."""
    if not isinstance(value, str):
        return value

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise AppIndexError(f"binding expression %{name}% names an app setting that is not set")
        return os.environ[name]

    return re.sub(r"%([^%]+)%", lookup, value)


def import_app_module(app_dir: Path) -> Any:
    """Import app_dir/function_app.py as module `function_app`, with app_dir first on sys.path."""
    script = app_dir / "function_app.py"
    if not script.is_file():
        raise AppIndexError(f"{script} not found")
    if str(app_dir) not in sys.path:
        sys.path.insert(0, str(app_dir))
    spec = importlib.util.spec_from_file_location("function_app", script)
    if spec is None or spec.loader is None:
        raise AppIndexError(f"cannot import {script}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["function_app"] = module
    spec.loader.exec_module(module)
    return module


def find_app(module: Any) -> FunctionRegister:
    """The single module-level function app; the worker refuses none or several."""
    apps = {id(v): v for v in vars(module).values() if isinstance(v, FunctionRegister)}
    if not apps:
        raise AppIndexError("function_app.py defines no module-level func.FunctionApp")
    if len(apps) > 1:
        raise AppIndexError(
            "function_app.py defines more than one module-level FunctionApp (the worker allows one)"
        )
    return next(iter(apps.values()))


def _annotation(fn: Callable[..., Any], name: str) -> Any:
    try:
        return typing.get_type_hints(fn).get(name)
    except Exception:  # unresolvable string annotations: the worker tolerates them too
        return None


def describe(function: Function) -> FunctionSpec:
    """Turn one `Function` from get_functions() into a FunctionSpec (ValueError when unusable)."""
    name = str(function.get_function_name())
    bindings = [json.loads(raw) for raw in function.get_raw_bindings()]
    declared_trigger = function.get_trigger()
    if declared_trigger is None:  # get_functions() already refuses this; kept for the type checker
        raise ValueError(f"function {name} has no trigger")
    trigger_name = declared_trigger.name
    trigger = next(b for b in bindings if b.get("name") == trigger_name and str(b.get("direction")) == "IN")
    trigger = {k: _resolve_expressions(v) for k, v in trigger.items()}
    user_function = function.get_user_function()
    params = inspect.signature(user_function).parameters
    known = {b["name"] for b in bindings} | {"context"}
    unknown = [p for p in params if p not in known]
    if unknown:
        raise ValueError(f"parameters {unknown} of {name} are not bound (the worker refuses to load it)")
    others = [
        b for b in bindings if b is not trigger and b.get("name") != "$return" and b["name"] != trigger_name
    ]
    for binding in others:
        log.warning(
            "function %s: %s binding %r is not emulated by the devhost",
            name,
            binding["type"],
            binding["name"],
        )
    spec = FunctionSpec(
        name=name,
        trigger_type=str(trigger["type"]),
        trigger_arg=trigger_name,
        user_function=user_function,
        trigger=trigger,
        bindings=others,
        wants_context="context" in params,
        trigger_annotation=_annotation(user_function, trigger_name),
    )
    if spec.trigger_type == TIMER_TRIGGER:
        spec.schedule  # noqa: B018 - parse now so a bad schedule fails indexing, as in the host
    return spec


def index(app_dir: Path) -> list[FunctionSpec]:
    """Import the app and index its functions; functions that cannot load are logged and left out."""
    app = find_app(import_app_module(app_dir))
    specs = []
    for function in app.get_functions():
        try:
            specs.append(describe(function))
        except (ValueError, AppIndexError) as error:
            log.error("Function %s failed to load: %s", function.get_function_name(), error)
    return specs
