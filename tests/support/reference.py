"""Microsoft's public reference data (REST examples, swagger excerpt, Event Grid samples), kept in the repository.

The files under ``tests/fixtures/azure-reference`` are byte-for-byte copies of public Microsoft sources; their README
names the repository and path of each. ``AZURE_REFERENCE_DIR`` points the tests at another copy (for example a newer
checkout of azure-rest-api-specs laid out the same way).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BUNDLED = REPO_ROOT / "tests" / "fixtures" / "azure-reference"


def reference_dir() -> Path:
    override = os.environ.get("AZURE_REFERENCE_DIR")
    candidate = Path(override) if override else BUNDLED
    if not (candidate / "README.md").is_file():
        # Fail loudly: a missing folder must not turn the contract tests into silent skips.
        raise FileNotFoundError(f"Microsoft's reference data was not found at {candidate}")
    return candidate


AZURE_REFERENCE = reference_dir()
