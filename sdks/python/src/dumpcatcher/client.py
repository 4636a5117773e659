"""The ``Client``: builds, scrubs, limits and queues reports; owns the sender and hooks."""

import atexit
import base64
import json
import os
import random
import re
import secrets
import sys
import threading
import time
import weakref
from typing import Any, Callable, Dict, Mapping, Optional

from . import auto_breadcrumbs, log
from .body_fit import fit_body
from .breadcrumbs import Breadcrumbs
from .disk_queue import Queue, encode_body, rfc3339, write_file_atomic
from .hooks import UncaughtHooks
from .limiter import Limiter, local_fingerprint
from .metrics import Collector, MetricContext, REGISTRY
from .monitor import Monitor
from .options import AUTO_BREADCRUMB_KINDS, Options
from .report import crash_report, new_report_id, os_info, runtime_info
from .scrub import Scrubber
from .sender import RetryPolicy, Sender
from .session_markers import SessionMarker
from .sessions import Owner, ReportPart, SessionBook, split_report
from .source_context import SourceContext
from .transport import Transport

INSTALL_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def new_client_id() -> str:
    """16 random bytes, base64url without padding (22 characters)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode("ascii")


_LIVE_CLIENTS: "weakref.WeakSet[Client]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for client in list(_LIVE_CLIENTS):
        client._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class Client:
    """One configured SDK instance; the module-level functions talk to the active one."""

    def __init__(
        self,
        options: Options,
        retry_policy: Optional[RetryPolicy] = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.options = options
        self._clock = clock
        self._lock = threading.Lock()
        self._closed = False
        self._counter = 0
        self._pid = os.getpid()
        self.client_id = new_client_id()
        self.scrubber = Scrubber(options.secret)
        self.breadcrumbs = Breadcrumbs(self.scrubber, options.max_breadcrumbs, clock)
        self.source_context: Optional[SourceContext] = SourceContext(self.scrubber) if options.source_context else None
        if options.debug:
            log.set_echo(True)
        self._runtime = runtime_info()
        self._os = os_info()
        self.queue: Optional[Queue] = None
        self.sender: Optional[Sender] = None
        queue_dir = options.queue_dir or ""
        if options.debug:
            self.limiter = Limiter(None, options.max_reports_per_fingerprint, options.limiter_window_seconds, clock)
        else:
            self.queue = Queue(
                queue_dir,
                options.max_queue_files,
                options.max_queue_bytes,
                options.max_queue_age_seconds,
                clock,
            )
            self.queue.ensure_dir()
            self.limiter = Limiter(
                os.path.join(queue_dir, "limiter.json"),
                options.max_reports_per_fingerprint,
                options.limiter_window_seconds,
                clock,
            )
            transport = Transport(
                options.endpoint,
                options.product_key,
                options.secret,
                options.request_timeout,
                options.gzip_threshold_bytes,
                clock,
            )
            self.sender = Sender(
                self.queue, transport, retry_policy or RetryPolicy(), lambda: self.client_id, self._sessions_refused
            )
        self.install_id = self._load_install_id(queue_dir) if options.install_id else None
        self._sessions = SessionBook(Owner(options.app_name, options.app_version, self.install_id, options.environment))
        self._marker: Optional[SessionMarker] = None if options.debug else SessionMarker(queue_dir, self.client_id)
        self.monitor = Monitor(
            Collector(REGISTRY),
            MetricContext(options.app_name, options.app_version),
            options.label,
            self.install_id,
            self._submit,
            clock,
            options.environment,
        )
        self.hooks = UncaughtHooks(self._capture_uncaught)
        if options.capture_uncaught:
            self.hooks.install()
        # Installed only while breadcrumbs are kept; the SDK's own logger and requests never count.
        self._auto_kinds = [k for k in AUTO_BREADCRUMB_KINDS if options.max_breadcrumbs > 0 and options.auto_breadcrumb(k)]
        self._auto_sink = self.breadcrumbs.add  # one bound method: uninstall knows it by identity
        for kind in self._auto_kinds:
            auto_breadcrumbs.KINDS[kind].install(self._auto_sink)
        atexit.register(self._at_exit)
        _LIVE_CLIENTS.add(self)
        self._start_sessions(options.auto_session_tracking)
        if self.queue is not None and self.sender is not None:
            self.queue.prune()
            self.sender.wake()  # send what earlier runs left, oldest first

    # -- public behaviour -------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True after close(): every call is then a no-op."""
        return self._closed

    def capture_exception(
        self,
        exc: Optional[BaseException] = None,
        label: Optional[str] = None,
        tags: Optional[Mapping[str, Any]] = None,
        extra: Optional[Mapping[str, Any]] = None,
        fingerprint: Optional[str] = None,
        _uncaught: bool = False,
    ) -> Optional[str]:
        """Queue a crash report for ``exc`` (default: the exception being handled).

        Returns the reportId, or None when nothing was queued (no exception, sampled out,
        dropped by before_send or the limiter, closed).
        """
        if self._closed:
            return None
        if exc is None:
            exc = sys.exc_info()[1]
        if not isinstance(exc, BaseException):
            return None
        if not _uncaught:
            self._mark_errored()
        if self.options.sample_rate < 1.0 and random.random() >= self.options.sample_rate:
            log.report_sampled_out()
            return None
        body = crash_report(
            exc,
            self._clock(),
            self.options.app_name,
            self.options.app_version,
            label if label is not None else self.options.label,
            self.options.tags,
            tags,
            extra,
            fingerprint,
            self.install_id,
            self._runtime,
            self._os,
            self.options.environment,
        )
        body = self.scrubber.report(body)
        # Both are scrubbed already: breadcrumbs when added, source lines when read.
        crumbs = self.breadcrumbs.snapshot()
        if crumbs:
            body["breadcrumbs"] = crumbs
        if self.source_context is not None:
            lines = self.source_context.for_exception(exc, str(body["exception"].get("stacktrace", "")))
            if lines:
                body["exception"]["sourceContext"] = lines
        if self.options.before_send is not None:
            report_id = body["reportId"]
            try:
                edited = self.options.before_send(body)
            except Exception as error:  # noqa: BLE001 - a failing hook drops, never leaks
                log.internal_error("before_send", error)
                edited = None
            if not isinstance(edited, dict):
                log.report_dropped_by_before_send(report_id)
                return None
            body = edited
        given = body.get("fingerprint")
        exception = body.get("exception") or {}
        fp = local_fingerprint(
            str(exception.get("type", "")),
            str(exception.get("stacktrace", "")),
            given if isinstance(given, str) else None,
        )
        if not self.limiter.allow(fp):
            log.report_rate_limited(fp)
            return None
        if _uncaught:
            self.limiter.save()  # the process is about to die: the count must survive it
        else:
            self.limiter.save_soon()
        return self._submit("/v1/crashes", body, durable=_uncaught)

    def add_breadcrumb(
        self,
        category: Optional[str] = None,
        message: Optional[str] = None,
        level: str = "info",
        data: Optional[Mapping[str, Any]] = None,
    ) -> None:
        """Keep a breadcrumb (scrubbed, cut) in the ring; every crash report captured later carries it."""
        if self._closed:
            return
        self.breadcrumbs.add(category, message, level, data)

    def report_usage(self) -> Optional[str]:
        """Collect every registered metric and queue one usage report; returns its reportId."""
        if self._closed:
            return None
        return self.monitor.report()

    def start_session(self) -> None:
        """Start a release health session, ending the running one first (its report is queued)."""
        if self._closed:
            return
        with self._lock:
            ended = self._sessions.start(self._clock())
        if ended is not None:
            self._queue_sessions(ended, durable=False)
        self._save_marker(durable=False)

    def end_session(self) -> None:
        """End the running session and queue its report (ok, or errored after a handled error)."""
        if self._closed:
            return
        self._finish_session("ok", durable=False)

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Wait until the queue is empty (True) or ``timeout`` seconds pass (False)."""
        if self._closed or self.sender is None:
            return True
        return self.sender.flush(self.options.shutdown_timeout if timeout is None else timeout)

    def close(self, timeout: Optional[float] = None) -> bool:
        """Flush for ``shutdown_timeout``, stop sending and remove the hooks."""
        if self._closed:
            return True
        try:
            self._finish_session("ok", durable=False)
        except Exception as error:  # noqa: BLE001
            log.internal_error("end_session", error)
        flushed = self.flush(timeout)
        self._closed = True
        if self.sender is not None:
            self.sender.stop()
        self.limiter.save()
        self.hooks.uninstall()
        for kind in self._auto_kinds:
            auto_breadcrumbs.KINDS[kind].uninstall(self._auto_sink)
        if self.options.debug:
            log.set_echo(False)
        try:
            atexit.unregister(self._at_exit)
        except Exception:  # noqa: BLE001
            pass
        return flushed

    # -- internals --------------------------------------------------------------------------

    def _capture_uncaught(self, exc: BaseException, fatal: bool = True) -> None:
        # Runs in the hook: the files are written here, synchronously, before the process dies.
        if not fatal:
            # A thread died, the process goes on: an error, not a crash of the session.
            self._mark_errored()
        self.capture_exception(exc, _uncaught=True)
        if fatal:
            self._finish_session("crashed", durable=True)

    # -- sessions (docs/sdks.md#sessions) ----------------------------------------------------

    def _start_sessions(self, auto: bool) -> None:
        """At init: the process session starts (unless auto_session_tracking is False), and the
        sessions earlier processes left without an end become reports (or ride with this one's)."""
        try:
            if auto:
                self._sessions.start(self._clock())
            if self._marker is None:
                return
            found, claimed = self._marker.claim_dead()
            for part in self._sessions.found(found):
                self._queue_sessions(part, durable=False)
            # The marker carries this release's found sessions before their own markers go.
            self._save_marker(durable=bool(claimed))
            for path in claimed:
                try:
                    os.remove(path)
                except OSError:
                    pass
            if found:
                log.sessions_found(len(found))
        except Exception as error:  # noqa: BLE001 - init must never break the app
            log.internal_error("start_session", error)

    def _sessions_on(self) -> bool:
        return self.sender is None or not self.sender.sessions_refused

    def _queue_sessions(self, whole: ReportPart, durable: bool) -> None:
        if not self._sessions_on():
            return
        for part in split_report(whole):
            body: Dict[str, Any] = {"reportId": new_report_id(), "occurredAt": rfc3339(self._clock())}
            body.update(part)
            self._submit("/v1/sessions", body, durable=durable)

    def _save_marker(self, durable: bool) -> None:
        """The marker says what runs now: written while a session runs, gone when none does."""
        if self._marker is None:
            return
        try:
            current = self._sessions.current
            if current is not None and self._sessions_on():
                self._marker.write(self._sessions.owner, current, self._sessions.carried, durable)
            else:
                self._marker.remove()
        except OSError as error:
            log.internal_error("session marker", error)

    def _mark_errored(self) -> None:
        with self._lock:
            changed = self._sessions.mark_errored()
        if changed:
            self._save_marker(durable=False)

    def _finish_session(self, status: str, durable: bool) -> None:
        with self._lock:
            ended = self._sessions.end(status)
        if ended is not None:
            self._queue_sessions(ended, durable=durable)
        self._save_marker(durable=durable)

    def _sessions_refused(self) -> None:
        if self._marker is not None:
            self._marker.remove()

    def _at_exit(self) -> None:
        try:
            self.close()
        except Exception as error:  # noqa: BLE001
            log.internal_error("atexit", error)

    def _submit(self, path: str, body: Dict[str, Any], durable: bool = False) -> Optional[str]:
        """Print (debug) or write-then-wake; returns the reportId."""
        if path == "/v1/usage":
            body = self.scrubber.report(body)
        encoded: Optional[bytes] = None
        if path == "/v1/crashes":
            # Measured on the bytes the queue stores and the sender sends, so a body that fits
            # (nearly every one) costs no serialisation of its own.
            body, encoded = fit_body(body, encode_body(body))
        report_id = body.get("reportId")
        if self.options.debug:
            log.debug_report(path, json.dumps(body, ensure_ascii=False, indent=2))
            return report_id if isinstance(report_id, str) else None
        assert self.queue is not None and self.sender is not None
        if self._pid_changed():  # fork without os.register_at_fork
            self._after_fork()
        with self._lock:
            self._counter += 1
            counter = self._counter
        name = self.queue.write(path, self.client_id, counter, body, durable=durable, encoded=encoded)
        log.report_enqueued(name)
        self.sender.wake()
        return report_id if isinstance(report_id, str) else None

    def _pid_changed(self) -> bool:
        return self._pid != os.getpid()

    def _after_fork(self) -> None:
        # A forked child must not reuse the parent's client id (the counters would collide), and
        # gets fresh locks: another thread of the parent may have held one at the fork.
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self.client_id = new_client_id()
        self._counter = 0
        # The running session is the parent's: the child has none until it starts one.
        self._sessions = SessionBook(self._sessions.owner)
        if self._marker is not None:
            self._marker.forget_after_fork()
            self._marker = SessionMarker(self._marker.dir, self.client_id)
        self.limiter.after_fork()
        self.breadcrumbs.after_fork()
        if self.source_context is not None:
            self.source_context.after_fork()
        if self.queue is not None:
            self.queue.after_fork()
        if self.sender is not None:
            self.sender.after_fork()

    def _load_install_id(self, queue_dir: str) -> str:
        path = os.path.join(queue_dir, "install-id")
        if not self.options.debug:
            try:
                with open(path, "r", encoding="ascii") as handle:
                    existing = handle.read().strip()
                if INSTALL_ID.match(existing):
                    return existing
            except (OSError, ValueError):
                pass
        fresh = new_client_id()
        if not self.options.debug:
            try:
                write_file_atomic(path, fresh.encode("ascii"), durable=False)
            except OSError:
                pass
        return fresh
