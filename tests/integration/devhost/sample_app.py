"""Source of the small function app the devhost integration tests serve (written into tmp dirs)."""

FUNCTION_APP = """
import asyncio
import json
import logging
import os
import threading
from pathlib import Path

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
RECORDS = Path(os.environ["RECORD_DIR"])
BARRIER = threading.Barrier(2, timeout=10)


def record(name: str, document: dict) -> None:
    with (RECORDS / f"{name}.jsonl").open("a") as handle:
        handle.write(json.dumps(document) + "\\n")


@app.route(route="registries/{registry}/items/{id:int}/{name?}", methods=["GET"])
def get_item(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    logging.info("get_item called for %s", req.route_params.get("registry"))
    body = {
        "route": dict(req.route_params),
        "params": dict(req.params),
        "method": req.method,
        "url": req.url,
        "principal": req.headers.get("x-ms-client-principal"),
        "context": {
            "function_name": context.function_name,
            "invocation_id": context.invocation_id,
            "function_directory": context.function_directory,
            "trace_parent": context.trace_context.trace_parent,
            "retry_count": context.retry_context.retry_count,
        },
    }
    return func.HttpResponse(json.dumps(body), status_code=200, mimetype="application/json")


@app.route(route="anon", methods=["GET", "POST"], auth_level=func.AuthLevel.ANONYMOUS)
def anon(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"anon {req.method} {len(req.get_body())}", headers={"X-Sample": "yes"})


@app.route(route="async/{*rest}", auth_level=func.AuthLevel.ANONYMOUS)
async def async_echo(req: func.HttpRequest) -> str:
    await asyncio.sleep(0)
    return "async " + req.route_params.get("rest", "")


@app.route(route="rendezvous", auth_level=func.AuthLevel.ANONYMOUS)
def rendezvous(req: func.HttpRequest) -> str:
    BARRIER.wait()  # only returns when two requests are in flight at once
    return "met"


@app.route(route="boom", auth_level=func.AuthLevel.ANONYMOUS)
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("http function failed on purpose")


@app.route(route="settings", auth_level=func.AuthLevel.ANONYMOUS)
def settings(req: func.HttpRequest) -> func.HttpResponse:
    names = ("SAMPLE_SETTING", "OVERRIDDEN")
    return func.HttpResponse(json.dumps({n: os.environ.get(n) for n in names}), mimetype="application/json")


@app.event_grid_trigger(arg_name="event")
def on_event(event: func.EventGridEvent) -> None:
    record("events", {
        "id": event.id, "subject": event.subject, "event_type": event.event_type,
        "event_time": event.event_time.isoformat() if event.event_time else None,
        "data": event.get_json(), "data_version": event.data_version, "topic": event.topic,
    })


@app.function_name("on_event_failing")
@app.event_grid_trigger(arg_name="event")
def failing(event: func.EventGridEvent) -> None:
    raise ValueError(f"cannot handle {event.id}")


@app.timer_trigger(schedule="0 0 0 1 1 *", arg_name="timer", run_on_startup=True)
def tick(timer) -> None:
    record("ticks", {"past_due": timer.past_due, "status": timer.schedule_status, "type": type(timer).__name__})
"""

HOST_JSON = '{"version": "2.0", "extensions": {"http": {"routePrefix": "%s"}}}'

LOCAL_SETTINGS = """{
  "IsEncrypted": false,
  "Values": {"FUNCTIONS_WORKER_RUNTIME": "python", "SAMPLE_SETTING": "from-file", "OVERRIDDEN": "from-file"}
}"""
