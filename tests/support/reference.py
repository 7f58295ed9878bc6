"""Where Microsoft's reference data lives: ``../shared/azure-reference`` beside the repository (as in CI).

``AZURE_REFERENCE_DIR`` overrides it. A missing folder fails loudly rather than skipping the contract tests.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def reference_dir() -> Path:
    candidates = [Path(os.environ["AZURE_REFERENCE_DIR"])] if os.environ.get("AZURE_REFERENCE_DIR") else []
    candidates.append(REPO_ROOT.parent / "shared" / "azure-reference")
    for candidate in candidates:
        if (candidate / "README.md").is_file():
            return candidate
    raise FileNotFoundError(
        "Microsoft's reference data was not found at "
        + ", ".join(map(str, candidates))
        + ": put the team's shared/ folder beside the repository or set AZURE_REFERENCE_DIR"
    )


AZURE_REFERENCE = reference_dir()
