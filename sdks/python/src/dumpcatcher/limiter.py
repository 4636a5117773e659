"""The client-side crash limiter (docs/sdks.md#client-side-limiter).

Counts crash reports per local fingerprint per window in ``<queue_dir>/limiter.json`` so that
a crash loop across restarts is limited too. The file is
``{"v":1,"windows":{"<fingerprint>":{"start":<unix ms>,"count":N}}}``, as the Node SDK writes it.
"""

import hashlib
import json
import os
import re
import threading
import time
from typing import Callable, Dict, List, Optional

from .disk_queue import write_file_atomic

_DIGITS = re.compile(r"[0-9]")
FRAME_LINES = 5
MAX_ENTRIES = 1000  # fingerprints kept; the oldest windows go first
SAVE_DELAY = 1.0  # seconds a handled capture's count may wait before it is written


def local_fingerprint(exception_type: str, stacktrace: str, given: Optional[str] = None) -> str:
    """SHA-256 of the given fingerprint, or of the type and the first five frame lines, digits removed."""
    if given:
        return hashlib.sha256(("fingerprint\n" + given).encode("utf-8")).hexdigest()
    lines = stacktrace.splitlines()
    frames: List[str] = [line.strip() for line in lines if line.lstrip().startswith('File "')]
    if not frames:  # no Python frame lines (e.g. a bare "Type: message"): use what follows the first line
        frames = [line.strip() for line in lines[1:]]
    text = exception_type + "\n" + "\n".join(_DIGITS.sub("", line) for line in frames[:FRAME_LINES])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Limiter:
    """At most ``max_reports`` per fingerprint per ``window_seconds``; state in one JSON file.

    ``allow`` counts in memory; ``save`` writes the file. The client saves synchronously for an
    uncaught exception (the process is about to die) and otherwise lets the sender thread save
    within a second (``save_soon``), so a burst of handled captures costs one file write.
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
        self.window_ms = window_seconds * 1000.0
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: Dict[str, Dict[str, int]] = {}
        self._mtime_ns: Optional[int] = None
        self._dirty = False
        self._timer: Optional[threading.Timer] = None
        self.save_delay = SAVE_DELAY

    def after_fork(self) -> None:
        """Fresh lock in a forked child (the parent's timer thread did not come along)."""
        self._lock = threading.Lock()
        self._timer = None

    def save_soon(self) -> None:
        """Save within ``save_delay`` seconds, coalescing a burst of captures into one write."""
        if self.path is None:
            return
        with self._lock:
            if self._timer is not None or not self._dirty:
                return
            timer = threading.Timer(self.save_delay, self._timer_fired)
            timer.daemon = True
            self._timer = timer
        try:
            timer.start()
        except RuntimeError:  # no new threads at interpreter shutdown: save now
            self._timer = None
            self.save()

    def _timer_fired(self) -> None:
        with self._lock:
            self._timer = None
        self.save()

    def allow(self, fingerprint: str) -> bool:
        """Count one report with this fingerprint; False when the window's budget is spent."""
        with self._lock:
            self._reload()
            now_ms = int(self._clock() * 1000)
            windows = {
                key: slot
                for key, slot in self._windows.items()
                if 0 <= now_ms - slot["start"] < self.window_ms  # a start in the future: clock went back
            }
            if len(windows) != len(self._windows):
                self._dirty = True
            slot = windows.get(fingerprint)
            if slot is None:
                slot = {"start": now_ms, "count": 0}
            if slot["count"] >= self.max_reports:
                self._windows = windows
                return False
            windows[fingerprint] = {"start": slot["start"], "count": slot["count"] + 1}
            while len(windows) > MAX_ENTRIES:
                oldest = min(windows, key=lambda key: windows[key]["start"])
                del windows[oldest]
            self._windows = windows
            self._dirty = True
            return True

    def save(self) -> None:
        """Write the counts now if they changed since the last save."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
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
            loaded = data.get("windows", {}) if isinstance(data, dict) else {}
            self._windows = {
                str(key): {"start": int(slot["start"]), "count": int(slot["count"])}
                for key, slot in loaded.items()
                if isinstance(slot, dict)
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self._windows = {}  # a damaged state file starts afresh rather than blocking reports
        self._mtime_ns = mtime_ns

    def _save(self) -> None:
        if self.path is None:
            return
        data = json.dumps({"v": 1, "windows": self._windows}, separators=(",", ":"))
        try:
            # no fsync: losing the last count on power loss is harmless
            write_file_atomic(self.path, data.encode("utf-8"), durable=False)
            self._mtime_ns = os.stat(self.path).st_mtime_ns
        except OSError:
            pass  # limiting in memory still works for this process
