"""Release health sessions (docs/sdks.md#sessions): which session runs and how the ended ones
become ``/v1/sessions`` report bodies. Pure, no I/O; checked against test/vectors/sessions-v1.json.
"""

import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from .options import DEFAULT_ENVIRONMENT

#: Background time after which coming back to the foreground starts a new session (Sentry's rule).
BACKGROUND_SESSION_SECONDS = 30.0
#: Buckets per report at most (the wire allows 1 to 100).
MAX_BUCKETS = 100
STATUSES = ("ok", "errored", "crashed", "abnormal")

Bucket = Dict[str, Any]
ReportPart = Dict[str, Any]


def hour_start(seconds: float) -> str:
    """The start of the UTC hour of ``seconds``, as the wire writes it: ``YYYY-MM-DDTHH:00:00Z``."""
    return time.strftime("%Y-%m-%dT%H:00:00Z", time.gmtime(seconds // 3600 * 3600))


def add_to_buckets(buckets: List[Bucket], started: str, status: str, count: int = 1) -> List[Bucket]:
    """``buckets`` with ``count`` more sessions of ``status`` in ``started``'s bucket, sorted by hour."""
    out = [dict(b) for b in buckets]
    bucket = next((b for b in out if b["started"] == started), None)
    if bucket is None:
        bucket = {"started": started, "ok": 0, "errored": 0, "crashed": 0, "abnormal": 0}
        out.append(bucket)
    bucket[status] += count
    return sorted(out, key=lambda b: b["started"])


def merge_buckets(into: List[Bucket], more: List[Bucket]) -> List[Bucket]:
    """Both lists of buckets added together."""
    out = list(into)
    for b in more:
        for status in STATUSES:
            if b[status] > 0:
                out = add_to_buckets(out, b["started"], status, b[status])
    return out


@dataclass(frozen=True)
class Owner:
    """The release, install and environment a session belongs to."""

    app_name: str
    app_version: str
    install_id: Optional[str]
    environment: str = DEFAULT_ENVIRONMENT

    def part(self, sessions: List[Bucket]) -> ReportPart:
        """A report body without reportId and occurredAt."""
        body: ReportPart = {"app": {"name": self.app_name, "version": self.app_version}, "environment": self.environment}
        if self.install_id is not None:
            body["installId"] = self.install_id
        body["sessions"] = sessions
        return body


@dataclass
class FoundSession:
    """A session an earlier process left behind (its marker's writer is gone)."""

    owner: Owner
    started: float
    errored: bool
    background_since: Optional[float] = None
    carried: List[Bucket] = field(default_factory=list)


@dataclass
class CurrentSession:
    """The running session."""

    started: float
    errored: bool = False
    background_since: Optional[float] = None


class SessionBook:
    """The sessions of one client: start, error, end, background and foreground, as plain state."""

    def __init__(self, owner: Owner) -> None:
        self.owner = owner
        self.current: Optional[CurrentSession] = None
        self.carried: List[Bucket] = []

    def found(self, sessions: List[FoundSession]) -> List[ReportPart]:
        """Take the sessions earlier processes left: this release and install's ride with the
        running session's report (when one runs); the others are returned, one report per
        release and install, to be written now."""
        others: Dict[Owner, List[Bucket]] = {}
        for s in sessions:
            if s.background_since is not None:
                status = "errored" if s.errored else "ok"
            else:
                status = "abnormal"
            buckets = add_to_buckets(s.carried, hour_start(s.started), status)
            if self.current is not None and s.owner == self.owner:
                self.carried = merge_buckets(self.carried, buckets)
            else:
                others[s.owner] = merge_buckets(others.get(s.owner, []), buckets)
        return [owner.part(buckets) for owner, buckets in others.items()]

    def start(self, now: float) -> Optional[ReportPart]:
        """Start a session at ``now``, ending the running one first (its report is returned)."""
        previous = self.end("ok") if self.current is not None else None
        self.current = CurrentSession(now)
        return previous

    def mark_errored(self) -> bool:
        """A handled error was captured; True when this changed the running session."""
        if self.current is None or self.current.errored:
            return False
        self.current.errored = True
        return True

    def end(self, status: str) -> Optional[ReportPart]:
        """End the running session (``ok`` becomes ``errored`` after a handled error); the
        report, or None when there is nothing to send."""
        sessions = self.carried
        if self.current is not None:
            final = "errored" if status == "ok" and self.current.errored else status
            sessions = add_to_buckets(sessions, hour_start(self.current.started), final)
        self.current = None
        self.carried = []
        return self.owner.part(sessions) if sessions else None

    def background(self, now: float) -> None:
        """The app went to the background at ``now``."""
        if self.current is not None and self.current.background_since is None:
            self.current.background_since = now

    def foreground(self, now: float) -> Optional[ReportPart]:
        """The app came back at ``now``: after BACKGROUND_SESSION_SECONDS or more the session
        ends (returned) and a new one starts."""
        if self.current is None or self.current.background_since is None:
            return None
        if now - self.current.background_since < BACKGROUND_SESSION_SECONDS:
            self.current.background_since = None
            return None
        ended = self.end("ok")
        self.current = CurrentSession(now)
        return ended


def split_report(whole: ReportPart) -> List[ReportPart]:
    """``whole`` cut into reports of at most MAX_BUCKETS buckets (one report almost always)."""
    sessions = whole["sessions"]
    return [dict(whole, sessions=sessions[i : i + MAX_BUCKETS]) for i in range(0, len(sessions), MAX_BUCKETS)]
