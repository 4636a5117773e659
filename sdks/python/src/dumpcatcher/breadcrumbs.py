"""Breadcrumbs (docs/sdks.md#breadcrumbs): a ring of what the program did before it crashed.

One ring per client (so one per process: the module-level API talks to the active client),
thread-safe. Each breadcrumb is cut and scrubbed when it is added, so the ring only ever holds
what may be sent; it lives in memory and reaches disk only inside the crash report it joins.
Checked against test/vectors/breadcrumbs-v1.json.
"""

import math
import threading
import time
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Mapping, Optional

from . import log
from .disk_queue import rfc3339
from .scrub import Scrubber, unique_key

LEVELS = frozenset(("debug", "info", "warning", "error", "fatal"))
DEFAULT_CATEGORY = "default"
MAX_CATEGORY = 64
MAX_MESSAGE = 1024
MAX_DATA_ENTRIES = 20
MAX_DATA_KEY = 64
MAX_DATA_VALUE = 256
# Categories, data keys and short values repeat (``log``, ``logger``, a logger's name): their
# scrubbed form is remembered, up to this many, for the automatic breadcrumbs' sake.
MAX_REMEMBERED = 512
SHORT = 64

Breadcrumb = Dict[str, Any]


class Breadcrumbs:
    """The ring of the last ``capacity`` breadcrumbs, oldest first; 0 keeps none."""

    def __init__(self, scrubber: Scrubber, capacity: int, clock: Callable[[], float] = time.time) -> None:
        self._scrubber = scrubber
        self._clock = clock
        self._ring: Deque[Breadcrumb] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self.capacity = capacity
        self._scrubbed: Dict[str, str] = {}

    def add(
        self,
        category: Optional[str] = None,
        message: Optional[str] = None,
        level: Optional[str] = "info",
        data: Optional[Mapping[str, Any]] = None,
        timestamp: Optional[float] = None,
    ) -> bool:
        """Cut, scrub and keep one breadcrumb (an argument of the wrong type is left out, with a
        DEBUG line); False when the ring keeps none."""
        if self.capacity == 0:
            return False
        crumb = self._make(category, message, level, data, timestamp)
        with self._lock:
            self._ring.append(crumb)
        return True

    def snapshot(self) -> List[Breadcrumb]:
        """A copy of the ring, oldest first; copies of the breadcrumbs too, so that a before_send
        that edits its report never changes the ring."""
        with self._lock:
            crumbs = list(self._ring)
        return [dict(c, data=dict(c["data"])) if "data" in c else dict(c) for c in crumbs]

    def after_fork(self) -> None:
        """A fresh lock in a forked child: another thread of the parent may have held it."""
        self._lock = threading.Lock()

    def _make(
        self,
        category: Any,
        message: Any,
        level: Any,
        data: Any,
        timestamp: Optional[float],
    ) -> Breadcrumb:
        if category is not None and not isinstance(category, str):
            log.breadcrumb_argument_ignored("category", "a string")
            category = None
        if message is not None and not isinstance(message, str):
            log.breadcrumb_argument_ignored("message", "a string")
            message = None
        if data is not None and not isinstance(data, Mapping):
            log.breadcrumb_argument_ignored("data", "a mapping")
            data = None
        if not (isinstance(level, str) and level in LEVELS):
            level = "info"  # the vectors' rule, not a mistake worth a line
        crumb: Breadcrumb = {
            "timestamp": rfc3339(self._clock() if timestamp is None else timestamp),
            "category": self._short(category)[:MAX_CATEGORY] if category else DEFAULT_CATEGORY,
        }
        if message:
            crumb["message"] = self._scrubber.text(message)[:MAX_MESSAGE]
        crumb["level"] = level
        if data:
            kept = self._data(data)
            if kept:
                crumb["data"] = kept
        return crumb

    def _short(self, value: str) -> str:
        """``value`` scrubbed; remembered when it is short (it will likely come again)."""
        if len(value) > SHORT:
            return self._scrubber.text(value)
        scrubbed = self._scrubbed.get(value)
        if scrubbed is None:
            scrubbed = self._scrubber.text(value)
            if len(self._scrubbed) >= MAX_REMEMBERED:
                self._scrubbed.clear()
            self._scrubbed[value] = scrubbed
        return scrubbed

    def _data(self, data: Mapping[str, Any]) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        next_number: Dict[str, int] = {}
        for key, value in data.items():
            if len(out) >= MAX_DATA_ENTRIES:
                break
            if not isinstance(key, str) or not key:
                continue
            if isinstance(value, str):
                value = self._short(value)[:MAX_DATA_VALUE]
            elif isinstance(value, float):
                if not math.isfinite(value):
                    continue
            elif value is not None and not isinstance(value, (bool, int)):
                continue
            out[unique_key(out, self._short(key)[:MAX_DATA_KEY], next_number)] = value
        return out
