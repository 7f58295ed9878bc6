"""The README's settings table names every app setting ``shared/config.py`` reads, and nothing it does not."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_readme_lists_every_setting_the_code_reads() -> None:
    code = (ROOT / "shared" / "config.py").read_text()
    read = set(re.findall(r'env(?:\.get\(|, )"([A-Za-z_]+)"', code))
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Settings") : readme.index("## Logs")]
    listed = set(re.findall(r"`([A-Za-z_]+)`", section))

    assert read, "no settings found in shared/config.py"
    assert read <= listed, f"settings the README does not list: {sorted(read - listed)}"
    names = {s for s in listed if (s.isupper() and "_" in s) or s.startswith("AzureWebJobsStorage")}
    assert names <= read, f"the README lists settings the code does not read: {sorted(names - read)}"
