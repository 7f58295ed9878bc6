"""Every problem type the API can answer with is documented at the anchor its ``type`` URI points to."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from shared.api.problems import PROBLEM_BASE, PROBLEM_TYPES
from shared.domain import errors

DOC = Path(__file__).resolve().parents[3] / "docs" / "problems.md"


def test_every_problem_type_has_its_anchor() -> None:
    anchors = set(re.findall(r'<a id="([a-z-]+)"></a>', DOC.read_text()))
    classes = {
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.AutopilotError)
    }

    assert classes == set(PROBLEM_TYPES), "every domain error has its problem type"
    assert {t.slug for t in PROBLEM_TYPES.values()} == anchors
    assert PROBLEM_BASE.endswith("docs/problems.md#")
