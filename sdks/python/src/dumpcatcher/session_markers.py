"""Session marker files (docs/sdks.md#sessions).

``<queue_dir>/session-<clientId>.json`` says a session runs in a live process; a marker whose
writer is gone is a session that ended without the SDK seeing it end (abnormal), found at the
next start. While its session runs, the writer holds an exclusive lock on
``session-<clientId>.lock`` (``fcntl.lockf``, the POSIX record lock Java's FileChannel.tryLock
also takes, so the Python and Java SDKs see each other's; ``msvcrt.locking`` on Windows), which
the operating system releases when the process dies however it dies: a lock another process
can take means the writer is gone. POSIX record locks belong to the process and closing any
descriptor of the file drops them, so this process never tests the lock of its own clients'
markers (it knows them). Markers without a lock (the Node SDK's) are judged by the pid, the
process start time and the boot id they name, as the Node SDK does.
"""

import json
import os
import re
from datetime import datetime
from typing import IO, Any, Dict, List, Optional, Set, Tuple

from .disk_queue import rfc3339, write_file_atomic
from .options import DEFAULT_ENVIRONMENT, ENVIRONMENT_PATTERN
from .sessions import CurrentSession, FoundSession, Owner

try:
    import fcntl

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            fcntl.lockf(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False

except ImportError:  # Windows
    import msvcrt

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            return True
        except OSError:
            return False


# Client ids whose markers this process holds the lock of.
_HELD_HERE: Set[str] = set()

MARKER_FILE = re.compile(r"^session-([A-Za-z0-9_-]{8,64})\.json$")
HOUR = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$")
INSTALL_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _read(path: str) -> Optional[str]:
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return handle.read().strip() or None
    except (OSError, ValueError):
        return None


def _start_ticks(pid: Any) -> Optional[str]:
    text = _read("/proc/%s/stat" % pid)
    if text is None:
        return None
    # The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    fields = text[text.rfind(")") + 2 :].split(" ")
    return fields[19] if len(fields) > 19 and fields[19].isdigit() else None


def self_identity() -> Dict[str, Any]:
    """This process: pid, start time in clock ticks since boot and boot id (the last two on Linux)."""
    return {"pid": os.getpid(), "startTicks": _start_ticks("self"), "bootId": _read("/proc/sys/kernel/random/boot_id")}


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except PermissionError:
        return True
    except (OSError, ValueError, OverflowError):
        return False


def writer_alive(writer: Dict[str, Any], me: Dict[str, Any]) -> bool:
    """Whether the process a lock-less marker names still runs, as far as the system can tell."""
    if writer.get("bootId") and me.get("bootId") and writer["bootId"] != me["bootId"]:
        return False
    pid = writer.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool):
        return True
    ticks = writer.get("startTicks")
    if pid == me["pid"]:
        # Our own pid: this process, or an earlier one that had it (pid 1 in every container).
        return ticks is None or me.get("startTicks") is None or ticks == me["startTicks"]
    if not _pid_exists(pid):
        return False
    if ticks is None:
        return True
    now = _start_ticks(pid)
    return now is None or now == ticks


def _parse_time(value: Any) -> Optional[float]:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _parse_buckets(value: Any) -> Optional[List[Dict[str, Any]]]:
    if value is None:
        return []
    if not isinstance(value, list):
        return None
    out = []
    for b in value:
        if not isinstance(b, dict) or not isinstance(b.get("started"), str) or not HOUR.match(b["started"]):
            return None
        counts = [b.get(k) for k in ("ok", "errored", "crashed", "abnormal")]
        if not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts):
            return None
        out.append({"started": b["started"], "ok": counts[0], "errored": counts[1], "crashed": counts[2], "abnormal": counts[3]})
    return out


def parse_marker(text: str) -> Optional[Tuple[FoundSession, Dict[str, Any], bool]]:
    """A marker's session, writer and whether a lock guards it; None when it is not a marker."""
    try:
        m = json.loads(text)
    except ValueError:
        return None
    if not isinstance(m, dict) or m.get("v") != 1:
        return None
    app = m.get("app")
    started = _parse_time(m.get("started"))
    background = _parse_time(m.get("backgroundSince")) if "backgroundSince" in m else None
    install = m.get("installId")
    writer = m.get("writer")
    carried = _parse_buckets(m.get("carried"))
    if (
        started is None
        or not isinstance(app, dict)
        or not isinstance(app.get("name"), str)
        or not isinstance(app.get("version"), str)
        or (install is not None and (not isinstance(install, str) or not INSTALL_ID.match(install)))
        or ("backgroundSince" in m and background is None)
        or not isinstance(writer, dict)
        or carried is None
    ):
        return None
    # Markers of older SDKs (and of the Node and Java SDKs before they wrote it) name no environment.
    environment = m.get("environment")
    if not isinstance(environment, str) or not ENVIRONMENT_PATTERN.match(environment):
        environment = DEFAULT_ENVIRONMENT
    owner = Owner(app["name"], app["version"], install, environment)
    found = FoundSession(owner, started, m.get("errored") is True, background, carried)
    return found, writer, m.get("lock") is True


class SessionMarker:
    """The marker and lock of one client's running session."""

    def __init__(self, queue_dir: str, client_id: str) -> None:
        self.dir = queue_dir
        self.client_id = client_id
        self.path = os.path.join(queue_dir, "session-%s.json" % client_id)
        self._lock_path = os.path.join(queue_dir, "session-%s.lock" % client_id)
        self._lock: Optional[IO[bytes]] = None
        self._me = self_identity()

    def write(self, owner: Owner, session: CurrentSession, carried: List[Dict[str, Any]], durable: bool) -> None:
        """Write (atomically) the marker of the running session, taking the lock first."""
        if self._lock is None:
            handle = open(self._lock_path, "a+b")
            if not _try_lock(handle):
                handle.close()
                raise OSError("session lock %s is held" % self._lock_path)
            self._lock = handle
            _HELD_HERE.add(self.client_id)
        marker: Dict[str, Any] = {
            "v": 1,
            "started": rfc3339(session.started),
            "app": {"name": owner.app_name, "version": owner.app_version},
        }
        if owner.install_id is not None:
            marker["installId"] = owner.install_id
        marker["environment"] = owner.environment
        marker["errored"] = session.errored
        if session.background_since is not None:
            marker["backgroundSince"] = rfc3339(session.background_since)
        if carried:
            marker["carried"] = carried
        marker["writer"] = self._me
        marker["lock"] = True
        write_file_atomic(self.path, json.dumps(marker, separators=(",", ":")).encode("utf-8"), durable)

    def remove(self) -> None:
        """No session runs: the marker goes, then the lock."""
        _remove(self.path)
        if self._lock is not None:
            _remove(self._lock_path)
            self._lock.close()
            self._lock = None
            _HELD_HERE.discard(self.client_id)

    def forget_after_fork(self) -> None:
        """In a forked child: the parent's session and lock stay the parent's."""
        if self._lock is not None:
            try:
                self._lock.close()  # the parent's descriptor keeps the lock held
            except OSError:
                pass
            self._lock = None
        self._me = self_identity()

    def claim_dead(self) -> Tuple[List[FoundSession], List[str]]:
        """Claim the markers whose writers are gone (renamed first, so that of two processes
        starting at once only one counts each); their sessions and the claimed files, to
        remove once the sessions are safe in a report or this client's marker."""
        sessions: List[FoundSession] = []
        claimed: List[str] = []
        try:
            names = os.listdir(self.dir)
        except OSError:
            return sessions, claimed
        for name in names:
            match = MARKER_FILE.match(name)
            if match is None or match.group(1) == self.client_id or match.group(1) in _HELD_HERE:
                continue
            path = os.path.join(self.dir, name)
            text = _read(path)
            if text is None:
                continue
            parsed = parse_marker(text)
            if parsed is None:
                _remove(path)
                continue
            found, writer, locked = parsed
            lock_path = os.path.join(self.dir, "session-%s.lock" % match.group(1))
            if locked:
                handle = _open_existing(lock_path)
                if handle is not None:
                    try:
                        if not _try_lock(handle):
                            continue  # its writer runs
                    finally:
                        handle.close()
            elif writer_alive(writer, self._me):
                continue
            claim = "%s.%s.claimed" % (path, self.client_id)
            try:
                os.rename(path, claim)
            except OSError:
                continue  # another process claimed it first
            _remove(lock_path)
            sessions.append(found)
            claimed.append(claim)
        return sessions, claimed


def _open_existing(path: str) -> Optional[IO[bytes]]:
    try:
        return open(path, "r+b")
    except OSError:
        return None


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
