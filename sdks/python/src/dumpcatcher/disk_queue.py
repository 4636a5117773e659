"""The write-before-send disk queue (docs/sdks.md#disk-queue-write-before-send).

One UTF-8 JSON file per report, ``<createdAtMillis>-<clientId>-<counter>.json``, written to a
``.tmp`` sibling, fsynced and renamed, so a reader never sees half a report.
"""

import json
import os
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional

FILE_NAME = re.compile(r"^(\d+)-([A-Za-z0-9_-]{8,64})-(\d+)\.json$")
TMP_GRACE_SECONDS = 60.0  # a younger .tmp may belong to a live writer in another process
PATHS = ("/v1/crashes", "/v1/usage", "/v1/sessions")


@dataclass
class Entry:
    """One queued report exactly as it will be sent, every time."""

    name: str
    path: str
    client_id: str
    counter: int
    created_at: str
    body: Dict[str, Any]


@dataclass
class _Listed:
    name: str
    created_ms: int
    client_id: str
    counter: int
    size: int


def rfc3339(seconds: float) -> str:
    """UTC RFC 3339 with milliseconds and a Z offset."""
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def encode_body(body: Dict[str, Any]) -> bytes:
    """The body bytes sent on the wire; stable for one stored body."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def write_file_atomic(path: str, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically: a ``.tmp`` sibling (mode 0600), fsync when
    ``durable``, rename. A reader never sees half a file; a dying writer leaves only the .tmp."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if durable:
            try:
                os.fsync(fd)
            except OSError:
                pass  # some file systems refuse fsync; the rename still keeps readers safe
    finally:
        os.close(fd)
    os.replace(tmp, path)


class Queue:
    """The report files in one folder, bounded by count, bytes and age; oldest dropped first."""

    def __init__(
        self,
        directory: str,
        max_files: int,
        max_bytes: int,
        max_age_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self.max_files = max_files
        self.max_bytes = max_bytes
        self.max_age_seconds = max_age_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._known: Dict[str, _Listed] = {}  # file name -> parsed name and size
        # Told of the unsent reports each prune dropped (the sender: a notice, and flush() says False).
        self.on_dropped: Optional[Callable[[List[str]], None]] = None

    def after_fork(self) -> None:
        """Fresh lock in a forked child."""
        self._lock = threading.Lock()

    def ensure_dir(self) -> None:
        """Create the folder (raises OSError when it cannot)."""
        os.makedirs(self.directory, exist_ok=True)

    def write(
        self,
        path: str,
        client_id: str,
        counter: int,
        body: Dict[str, Any],
        durable: bool = True,
        encoded: Optional[bytes] = None,
    ) -> str:
        """Store one report atomically and apply the bounds; returns its file name.

        ``durable`` fsyncs before the rename. That only guards against power loss or an OS crash
        (a dying process never loses what it wrote), and costs milliseconds, so the client asks
        for it in the uncaught-exception hook and not for the app's own captures. ``encoded``, when
        given, is ``encode_body(body)`` already made.
        """
        now = self._clock()
        name = "%d-%s-%d.json" % (int(now * 1000), client_id, counter)
        head = {"v": 1, "path": path, "clientId": client_id, "counter": counter, "createdAt": rfc3339(now)}
        # The head's JSON with ,"body":<body> spliced in before its closing brace: the bytes
        # json.dumps would make of the whole record, without serialising the body twice.
        data = b"".join(
            [
                json.dumps(head, separators=(",", ":")).encode("utf-8")[:-1],
                b',"body":',
                encoded if encoded is not None else encode_body(body),
                b"}",
            ]
        )
        final = os.path.join(self.directory, name)
        write_file_atomic(final, data, durable)
        self.prune()
        return name

    def _list(self) -> List[_Listed]:
        try:
            names = os.listdir(self.directory)
        except OSError:
            return []
        known = self._known
        seen: Dict[str, _Listed] = {}
        for name in names:
            item = known.get(name)
            if item is None:
                match = FILE_NAME.match(name)
                if not match:
                    continue
                try:
                    # Queue files never change after their rename, so one stat per name is enough.
                    size = os.stat(os.path.join(self.directory, name)).st_size
                except OSError:
                    continue  # sent and removed by someone else meanwhile
                item = _Listed(name, int(match.group(1)), match.group(2), int(match.group(3)), size)
            seen[name] = item
        self._known = seen
        listed = list(seen.values())
        listed.sort(key=lambda item: (item.created_ms, item.counter, item.name))
        return listed

    def names(self, client_id: Optional[str] = None) -> List[str]:
        """Queued report file names, oldest first; only one client's when ``client_id`` is given."""
        return [item.name for item in self._list() if client_id is None or item.client_id == client_id]

    def is_empty(self) -> bool:
        """No report file is waiting."""
        return not self._list()

    def prune(self) -> List[str]:
        """Drop leftover .tmp files, then expired and over-bound reports, oldest first."""
        dropped: List[str] = []
        with self._lock:
            now = self._clock()
            self._remove_stale_tmp(now)
            listed = self._list()
            cutoff_ms = (now - self.max_age_seconds) * 1000
            keep = []
            for item in listed:
                if item.created_ms < cutoff_ms:
                    self.remove(item.name)
                    dropped.append(item.name)
                else:
                    keep.append(item)
            total = sum(item.size for item in keep)
            while keep and (len(keep) > self.max_files or total > self.max_bytes):
                oldest = keep.pop(0)
                total -= oldest.size
                self.remove(oldest.name)
                dropped.append(oldest.name)
        if dropped and self.on_dropped is not None:
            self.on_dropped(dropped)
        return dropped

    def _remove_stale_tmp(self, now: float) -> None:
        try:
            names = os.listdir(self.directory)
        except OSError:
            return
        for name in names:
            if not name.endswith(".tmp"):
                continue
            full = os.path.join(self.directory, name)
            try:
                if os.stat(full).st_mtime < now - TMP_GRACE_SECONDS:
                    os.remove(full)
            except OSError:
                pass

    def load(self, name: str) -> Optional[Entry]:
        """Read one report; a file that cannot be parsed is deleted and None returned."""
        full = os.path.join(self.directory, name)
        try:
            with open(full, "rb") as handle:
                raw = handle.read()
        except OSError:
            return None  # already gone
        try:
            record = json.loads(raw.decode("utf-8"))
            entry = Entry(
                name=name,
                path=record["path"],
                client_id=record["clientId"],
                counter=record["counter"],
                created_at=record["createdAt"],
                body=record["body"],
            )
            if (
                record.get("v") != 1
                or entry.path not in PATHS
                or not isinstance(entry.client_id, str)
                or not re.match(r"^[A-Za-z0-9_-]{8,64}$", entry.client_id)
                or isinstance(entry.counter, bool)
                or not isinstance(entry.counter, int)
                or not 1 <= entry.counter <= 9007199254740991
                or not isinstance(entry.body, dict)
                or not isinstance(entry.created_at, str)
            ):
                raise ValueError("not a queue record")
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            self.remove(name)
            return None
        return entry

    def remove(self, name: str) -> None:
        """Delete one report file; a file already gone is fine."""
        try:
            os.remove(os.path.join(self.directory, name))
        except FileNotFoundError:
            pass
