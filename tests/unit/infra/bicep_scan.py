"""Just enough Bicep and YAML reading to check infra/ statically (no Bicep CLI can be installed offline)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_OPEN = {"{": "}", "[": "]", "(": ")"}
_CLOSE = {v: k for k, v in _OPEN.items()}


def mask(text: str) -> str:
    """Blank out comments and string contents (same length, newlines kept) so structure can be scanned.

    Interpolations (`${...}`) stay visible: they are code.
    """
    out = list(text)
    _scan_code(text, out, 0, stop_at_brace=False)
    return "".join(out)


def _scan_code(text: str, out: list[str], i: int, stop_at_brace: bool) -> int:
    """Mask from i; inside an interpolation, return the index of its closing brace."""
    n, depth = len(text), 0
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out[i:j] = " " * (j - i)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out[i:j] = [c if c == "\n" else " " for c in text[i:j]]
            i = j
        elif text.startswith("'''", i):
            j = text.find("'''", i + 3)
            if j < 0:
                raise ValueError(f"unterminated multi-line string at offset {i}")
            out[i + 3 : j] = [c if c == "\n" else "x" for c in text[i + 3 : j]]
            i = j + 3
        elif text[i] == "'":
            i = _scan_string(text, out, i)
        else:
            if stop_at_brace and text[i] == "{":
                depth += 1
            elif stop_at_brace and text[i] == "}":
                if depth == 0:
                    return i
                depth -= 1
            i += 1
    if stop_at_brace:
        raise ValueError("unterminated interpolation")
    return i


def _scan_string(text: str, out: list[str], i: int) -> int:
    """Mask the single-quoted string opening at i; return the index after its closing quote."""
    j, n = i + 1, len(text)
    while j < n and text[j] != "'":
        if text[j] == "\n":
            raise ValueError(f"unterminated string at offset {i}")
        if text.startswith("${", j):
            j = _scan_code(text, out, j + 2, stop_at_brace=True) + 1
            continue
        step = 2 if text[j] == "\\" else 1
        out[j : j + step] = "x" * step
        j += step
    if j >= n:
        raise ValueError(f"unterminated string at offset {i}")
    return j + 1


def bracket_errors(text: str) -> list[str]:
    """Unbalanced or mismatched (), [], {} outside strings and comments."""
    code, stack, errors = mask(text), [], []
    for pos, ch in enumerate(code):
        if ch in _OPEN:
            stack.append((ch, pos))
        elif ch in _CLOSE:
            if not stack or stack[-1][0] != _CLOSE[ch]:
                errors.append(f"unexpected {ch!r} at line {code.count(chr(10), 0, pos) + 1}")
            else:
                stack.pop()
    errors += [f"unclosed {ch!r} at line {code.count(chr(10), 0, pos) + 1}" for ch, pos in stack]
    return errors


def _matching(code: str, open_pos: int) -> int:
    depth = 0
    for pos in range(open_pos, len(code)):
        if code[pos] in _OPEN:
            depth += 1
        elif code[pos] in _CLOSE:
            depth -= 1
            if depth == 0:
                return pos
    raise ValueError(f"no closing bracket for offset {open_pos}")


def _top_level_keys(code: str, open_pos: int) -> list[str]:
    """Keys (`name:`) directly inside the object literal opening at open_pos."""
    body = code[open_pos + 1 : _matching(code, open_pos)]
    keys, depth = [], 0
    for line in body.split("\n"):
        if depth == 0 and (m := re.match(r"\s*(\w+)\s*:", line)):
            keys.append(m.group(1))
        depth += sum(line.count(c) for c in _OPEN) - sum(line.count(c) for c in _CLOSE)
    return keys


@dataclass
class ModuleCall:
    symbol: str
    path: str
    params: list[str]


@dataclass
class BicepFile:
    """Declarations of one .bicep file that the static checks compare across files."""

    path: Path
    text: str
    code: str = field(init=False)

    def __post_init__(self) -> None:
        self.code = mask(self.text)

    @classmethod
    def load(cls, path: Path) -> BicepFile:
        return cls(path, path.read_text(encoding="utf-8"))

    def _literal(self, start: int, end: int) -> str:
        return self.text[start:end]

    def params(self) -> dict[str, bool]:
        """Parameter name -> whether it has a default."""
        found = {}
        for m in re.finditer(r"^param\s+(\w+)\s+[\w.]+(\s*=)?", self.code, re.M):
            found[m.group(1)] = bool(m.group(2))
        return found

    def outputs(self) -> list[str]:
        return re.findall(r"^output\s+(\w+)\s", self.code, re.M)

    def references(self) -> list[str]:
        """Relative paths of modules and compile-time imports."""
        refs = []
        for m in re.finditer(r"^\s*(?:module\s+\w+|import\s.*?\sfrom)\s+'", self.code, re.M):
            start = m.end()
            refs.append(self._literal(start, self.code.index("'", start)))
        return refs

    def module_calls(self) -> list[ModuleCall]:
        calls = []
        for m in re.finditer(r"^\s*module\s+(\w+)\s+'", self.code, re.M):
            start = m.end()
            end = self.code.index("'", start)
            body_open = self.code.index("{", end)
            body = self.code[body_open : _matching(self.code, body_open) + 1]
            pm = re.search(r"^\s*params\s*:\s*\{", body, re.M)
            params = _top_level_keys(self.code, body_open + pm.end() - 1) if pm else []
            calls.append(ModuleCall(m.group(1), self._literal(start, end), params))
        return calls

    def app_settings(self) -> dict[str, str]:
        """siteConfig.appSettings as name -> raw value expression (string literals keep their quotes)."""
        m = re.search(r"appSettings\s*:\s*\[", self.code)
        if not m:
            return {}
        start, end = m.end() - 1, _matching(self.code, m.end() - 1)
        settings = {}
        entry = re.compile(r"\{\s*name\s*:\s*'([^']*)'\s*value\s*:\s*([^\n]+?)\s*\}", re.S)
        for e in entry.finditer(self.code, start, end):
            name = self._literal(e.start(1), e.end(1))
            settings[name] = self._literal(e.start(2), e.end(2)).strip()
        return settings


def bicep_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.bicep"))


def parse_simple_yaml(text: str) -> dict[str, object]:
    """Block mappings of scalars (what azure.yaml uses); anything richer raises instead of guessing."""
    root: dict[str, object] = {}
    stack: list[tuple[int, dict[str, object]]] = [(-1, root)]
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        m = re.fullmatch(r"([A-Za-z0-9_.-]+):(?:\s+(.*))?", line.strip())
        if not m or "\t" in raw:
            raise ValueError(f"line {lineno}: not a simple mapping entry: {raw!r}")
        while indent <= stack[-1][0]:
            stack.pop()
        parent = stack[-1][1]
        key, value = m.group(1), m.group(2)
        if value is None:
            child: dict[str, object] = {}
            parent[key] = child
            stack.append((indent, child))
        else:
            parent[key] = value.strip().strip("'\"")
    return root
