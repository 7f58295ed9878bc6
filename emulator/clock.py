"""Emulator clock: real time plus an offset that POST /_emulator/clock moves forward.

Secret nbf/exp, health refresh, role-assignment propagation, LRO completion and throttling refill all
read this clock so tests can jump through time instead of sleeping.
"""

from __future__ import annotations

import threading
import time


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the emulator clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
