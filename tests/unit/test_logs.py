"""Structured events: a queryable line for Application Insights and the same dimensions as record attributes."""

from __future__ import annotations

import json
import logging

import pytest

from shared.logs import event, quiet_sdk_loggers


def test_event_line_carries_json_dimensions(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.logs")
    with caplog.at_level(logging.INFO, logger="tests.logs"):
        event(
            logger,
            logging.INFO,
            "CacheRuleCreated",
            registry="demoregistry",
            cacheRule="ubuntu",
            credentialSet=None,
        )

    (record,) = caplog.records
    name, _, payload = record.getMessage().partition(" ")
    assert name == "CacheRuleCreated"
    assert json.loads(payload) == {"registry": "demoregistry", "cacheRule": "ubuntu", "credentialSet": None}
    assert record.__dict__["event"] == "CacheRuleCreated"
    assert record.__dict__["cacheRule"] == "ubuntu"


def test_disabled_levels_cost_nothing(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.logs.quiet")
    logger.setLevel(logging.WARNING)
    event(logger, logging.INFO, "Ignored", value=object())
    assert caplog.records == []


def test_sdk_http_dumps_are_quieted() -> None:
    quiet_sdk_loggers()
    assert not logging.getLogger("azure.core.pipeline.policies.http_logging_policy").isEnabledFor(
        logging.INFO
    )
