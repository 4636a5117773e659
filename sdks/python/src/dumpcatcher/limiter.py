"""The client-side crash limiter (docs/sdks.md#client-side-limiter).

Counts crash reports per local fingerprint per window in ``<queue_dir>/limiter.json`` so that
a crash loop across restarts is limited too.
"""

import hashlib
import json
import os
import re
import threading
import time
from typing import Callable, Dict, Optional

_DIGITS = re.compile(r"[0-9]")
FRAME_LINES = 5


def local_fingerprint(exception_type: str, stacktrace: str) -> str:
    """SHA-256 of the type and the first five frame lines of the trace with digits removed."""
    frames = [line.strip() for line in stacktrace.splitlines() if line.lstrip().startswith('File "')]
    text = exception_type + "\n" + "\n".join(_DIGITS.sub("", line) for line in frames[:FRAME_LINES])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Limiter:
    """At most ``max_reports`` per fingerprint per ``window_seconds``; state in one JSON file.

    ``allow`` counts in memory; ``save`` writes the file. The client saves synchronously for an
    uncaught exception (the process is about to die) and otherwise lets the sender thread save
    once per pass, so a burst of handled captures costs one file write, not one per capture.
    """

    def __init__(
        self,
        path: Optional[str],
        max_reports: int,
        window_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path  # None: keep the counts in memory only (debug mode writes nothing)
        self.max_reports = max_reports
        self.window_seconds = window_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._state: Dict[str, Dict[str, float]] = {}
        self._mtime_ns: Optional[int] = None
        self._dirty = False

    def after_fork(self) -> None:
        """Fresh lock in a forked child."""
        self._lock = threading.Lock()

    def allow(self, fingerprint: str) -> bool:
        """Count one report with this fingerprint; False when the window's budget is spent."""
        with self._lock:
            self._reload()
            now = self._clock()
            state = {
                key: value
                for key, value in self._state.items()
                if now - value.get("windowStart", 0) < self.window_seconds
            }
            current = state.get(fingerprint)
            if current is None:
                current = {"windowStart": int(now), "count": 0}
            if current["count"] >= self.max_reports:
                self._state = state
                return False
            current = {"windowStart": current["windowStart"], "count": current["count"] + 1}
            state[fingerprint] = current
            self._state = state
            self._dirty = True
            return True

    def save(self) -> None:
        """Write the counts if they changed since the last save."""
        with self._lock:
            if self._dirty:
                self._save()
                self._dirty = False

    def _reload(self) -> None:
        if self.path is None or self._dirty:
            return  # unsaved counts of ours win; they are written on the next save
        try:
            mtime_ns = os.stat(self.path).st_mtime_ns
        except OSError:
            return
        if mtime_ns == self._mtime_ns:
            return  # nobody else wrote since we did
        try:
            with open(self.path, "r", encoding="utf-8") as handle:
                data = json.load(handle)
            loaded = data.get("fingerprints", {}) if isinstance(data, dict) else {}
            self._state = {
                key: {"windowStart": float(value["windowStart"]), "count": int(value["count"])}
                for key, value in loaded.items()
                if isinstance(value, dict)
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self._state = {}  # unreadable state starts afresh
        self._mtime_ns = mtime_ns

    def _save(self) -> None:
        if self.path is None:
            return
        data = json.dumps({"v": 1, "fingerprints": self._state}, separators=(",", ":"))
        tmp = self.path + ".%d.tmp" % os.getpid()
        try:
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(data)
            os.replace(tmp, self.path)
            self._mtime_ns = os.stat(self.path).st_mtime_ns
        except OSError:
            pass  # the limiter is best effort; the report itself still goes to the queue
