"""Upstream registry accounts declared through the control API: which username/password pairs log in."""

from __future__ import annotations

import hmac


class UpstreamAccounts:
    def __init__(self) -> None:
        self.accounts: dict[tuple[str, str], str] = {}

    def reset(self) -> None:
        self.accounts = {}

    def put(self, login_server: str, username: str, password: str) -> bool:
        key = (login_server.lower(), username)
        created = key not in self.accounts
        self.accounts[key] = password
        return created

    def delete(self, login_server: str, username: str) -> bool:
        return self.accounts.pop((login_server.lower(), username), None) is not None

    def valid(self, login_server: str, username: str, password: str) -> bool:
        expected = self.accounts.get((login_server.lower(), username))
        return expected is not None and hmac.compare_digest(expected, password)

    def listing(self) -> list[dict[str, str]]:
        """Logins without their passwords."""
        return [{"loginServer": host, "username": user} for (host, user) in sorted(self.accounts)]
