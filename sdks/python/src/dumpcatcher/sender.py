"""The background thread that drains the disk queue, oldest first, with backoff."""

import os
import random
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

from . import log
from .disk_queue import Queue
from .transport import DELIVERED, DROP, SendResult, Transport


MAINTENANCE_INTERVAL = 1.0


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter: base 1 s, factor 2, cap 5 min, 8 attempts."""

    base: float = 1.0
    factor: float = 2.0
    cap: float = 300.0
    max_attempts: int = 8

    def delay(self, failures: int, retry_after: Optional[float], rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after ``failures`` consecutive failures; Retry-After is a minimum."""
        ceiling = min(self.cap, self.base * (self.factor ** max(0, failures - 1)))
        jittered = rand() * ceiling
        if retry_after is not None:
            return max(jittered, retry_after)
        return jittered


class Sender:
    """Sends queued reports on a daemon thread; the caller only wakes it."""

    def __init__(
        self,
        queue: Queue,
        transport: Transport,
        policy: RetryPolicy,
        own_client_id: Callable[[], str],
        on_sessions_refused: Optional[Callable[[], None]] = None,
    ) -> None:
        self.queue = queue
        queue.on_dropped = self.pruned
        # An ingest older than /v1/sessions answers 404 there: no more sessions from this process.
        self._on_sessions_refused = on_sessions_refused
        self.sessions_refused = False
        self._own_client_id = own_client_id
        # Other processes' files (earlier runs, or a live sibling) are sent only by a sweep,
        # requested at init and by each flush; otherwise only this process's own reports.
        self._sweep_requested = 1
        self._sweep_done = 0
        self.transport = transport
        self.policy = policy
        self._wake = threading.Event()
        self._changed = threading.Condition()
        self._stopped = False
        self._thread: Optional[threading.Thread] = None
        self._pid = os.getpid()
        self._attempts: Dict[str, int] = {}
        self._failures = 0
        self._not_before = 0.0
        self._busy = False
        self._maintained_at = -MAINTENANCE_INTERVAL
        # Reports dropped unsent since the last flush: that flush must not say all went well.
        self._dropped = 0

    def wake(self) -> None:
        """Ask the thread to look at the queue now (starting it if needed)."""
        self._ensure_thread()
        self._wake.set()

    def after_fork(self) -> None:
        """In a forked child: the parent's thread did not come along, and its locks may be held."""
        self._pid = os.getpid()
        self._thread = None
        self._wake = threading.Event()
        self._changed = threading.Condition()
        self._busy = False
        self.transport.after_fork()

    def _ensure_thread(self) -> None:
        if self._stopped:
            return
        if self._pid != os.getpid():
            self.after_fork()
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="dumpcatcher-sender", daemon=True)
            self._thread.start()

    def _sendable(self, client_id: Optional[str] = None) -> List[str]:
        names = self.queue.names(client_id)
        return [n for n in names if self._attempts.get(n, 0) < self.policy.max_attempts]

    def _run(self) -> None:
        while not self._stopped:
            wait = self._not_before - time.monotonic()
            if wait > 0:
                self._wake.wait(wait)
                self._wake.clear()
                continue
            sweep = self._sweep_requested
            try:
                self._maintain(force=False)
                own = None if sweep > self._sweep_done else self._own_client_id()
                pending = self._sendable(own)
                if not pending:
                    self._maintain(force=True)  # going idle: apply the bounds
            except Exception as error:  # noqa: BLE001 - the thread must survive anything
                log.internal_error("sender", error)
                pending = []
            if not pending:
                self._sweep_done = sweep
                self._notify()
                self._wake.wait()
                self._wake.clear()
                continue
            completed = True
            for name in pending:
                if self._stopped or not self._send_one(name):
                    completed = False
                    break
            if completed and own is None:
                self._sweep_done = max(self._sweep_done, sweep)
            self._notify()

    def _maintain(self, force: bool) -> None:
        """Apply the queue bounds, at most once a second during a burst."""
        now = time.monotonic()
        if not force and now - self._maintained_at < MAINTENANCE_INTERVAL:
            return
        self._maintained_at = now
        self.queue.prune()

    def pruned(self, names: List[str]) -> None:
        """The queue's bounds dropped these unsent reports."""
        if names:
            self._dropped += len(names)
            log.queue_full(len(names))

    def _send_one(self, name: str) -> bool:
        """Send one file; False when the sender must back off before trying more."""
        entry = None
        try:
            entry = self.queue.load(name)
            if entry is None:
                return True
            if self.sessions_refused and entry.path == "/v1/sessions":
                self.queue.remove(name)
                return True
            self._busy = True
            try:
                result: SendResult = self.transport.send(entry)
            finally:
                self._busy = False
        except Exception as error:  # noqa: BLE001
            log.internal_error("send", error)
            result = SendResult("retry", None, "internal error")
        if result.outcome == DELIVERED:
            self.queue.remove(name)
            self._attempts.pop(name, None)
            self._failures = 0
            log.report_delivered(name, result.status or 0)
            return True
        if result.outcome == DROP:
            self.queue.remove(name)
            self._attempts.pop(name, None)
            log.report_dropped(name, result.reason)
            if entry is not None and entry.path == "/v1/sessions" and result.status == 404:
                # An ingest older than sessions, not a wrong URL: said once, and not a refusal
                # that makes flush() False (docs/sdks.md "Sessions").
                if not self.sessions_refused:
                    self.sessions_refused = True
                    log.sessions_refused()
                    if self._on_sessions_refused is not None:
                        self._on_sessions_refused()
                return True
            self._dropped += 1
            log.refused(result.notice or "refused", result.status, result.reason)
            return True
        attempts = self._attempts.get(name, 0) + 1
        self._attempts[name] = attempts
        self._failures += 1
        delay = self.policy.delay(self._failures, result.retry_after)
        self._not_before = time.monotonic() + delay
        if attempts >= self.policy.max_attempts:
            log.report_exhausted(name, attempts)
        else:
            log.report_retry(name, result.reason, delay)
        return False

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def flush(self, timeout: float) -> bool:
        """Send every queued report, this process's or not; True once the folder is empty and
        no report was dropped unsent (refused, or by the queue's bounds) since the last flush."""
        emptied = self._wait_empty(timeout)
        dropped, self._dropped = self._dropped, 0
        return emptied and dropped == 0

    def _wait_empty(self, timeout: float) -> bool:
        deadline = time.monotonic() + max(0.0, timeout)
        self._sweep_requested += 1
        self.wake()
        while True:
            try:
                if self.queue.is_empty() and not self._busy:
                    return True
            except Exception:  # noqa: BLE001
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stopped:
                return False
            if self._not_before > deadline:
                return False  # backing off past the deadline: waiting cannot help
            if not self._sendable():
                return self.queue.is_empty()  # just emptied, or only exhausted files left
            with self._changed:
                self._changed.wait(min(remaining, 0.05))

    def stop(self, join_timeout: float = 0.2) -> None:
        """Stop the thread; an HTTP attempt in flight is abandoned (the file stays queued)."""
        self._stopped = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(join_timeout)
