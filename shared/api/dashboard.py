"""``GET /api/dashboard``: one self-contained HTML page of fleet health, drawn in the browser from the JSON API.

The page carries its CSS and script inline under a per-response nonce, so a strict Content-Security-Policy
(no CDN, no inline code without the nonce, requests to this origin only) holds even offline. It reads
``GET /api/health`` a page at a time (the server filters and pages), so its first screen costs the same for ten
rules or fifty thousand.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from shared.api.http import ApiResponse

STATIC = Path(__file__).resolve().parent / "static"
HTML = "text/html"  # the Functions host adds "; charset=utf-8" to text types


def content_security_policy(nonce: str) -> str:
    """Only this page's nonced style and script run; it may call its own origin and nothing else."""
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'nonce-{nonce}'",
            f"style-src 'nonce-{nonce}'",
            "connect-src 'self'",
            "img-src 'self' data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


@cache
def _template() -> str:
    """The page with its CSS and script in place (files read once per process)."""
    page = (STATIC / "dashboard.html").read_text(encoding="utf-8")
    page = page.replace("{{CSS}}", (STATIC / "dashboard.css").read_text(encoding="utf-8"))
    return page.replace("{{JS}}", (STATIC / "dashboard.js").read_text(encoding="utf-8"))


def render(nonce: str) -> str:
    return _template().replace("{{NONCE}}", nonce)


@dataclass(frozen=True, kw_only=True, slots=True)
class HtmlResponse(ApiResponse):
    """An ``ApiResponse`` whose body is already text (the page), not a value to encode as JSON."""

    def encoded(self) -> bytes:
        return str(self.body).encode("utf-8")


def dashboard_page() -> ApiResponse:
    nonce = secrets.token_urlsafe(18)
    return HtmlResponse(
        status=200,
        body=render(nonce),
        content_type=HTML,
        headers={
            "Content-Security-Policy": content_security_policy(nonce),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )
