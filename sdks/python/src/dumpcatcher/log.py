"""Every message the SDK can emit, as named helpers.

Messages go to the standard ``logging`` logger ``dumpcatcher`` at DEBUG level (WARNING for a
configuration that turns the SDK off), and are echoed to stderr when the client runs with
``debug=True``. Nothing here ever includes the product secret.
"""

import logging
import sys
from typing import Any, Optional, Set

LOGGER = logging.getLogger("dumpcatcher")

_echo = False

# Reasons of notice() already said in this process (test/vectors/notices-v1.json).
_said: Set[str] = set()
# Said only in debug mode: an opt-out is the user's choice, not a problem to point out.
_DEBUG_ONLY = frozenset(["opt-out"])


def set_echo(enabled: bool) -> None:
    """Echo debug messages to stderr (debug mode)."""
    global _echo
    _echo = enabled


def _emit(level: int, message: str, *args: Any) -> None:
    try:
        LOGGER.log(level, message, *args)
        if _echo:
            sys.stderr.write("[dumpcatcher] " + (message % args if args else message) + "\n")
    except Exception:  # noqa: BLE001 - logging must never break the app
        pass


def forget_notices() -> None:
    """Forget which notices were said (tests: each starts as a fresh process would)."""
    _said.clear()


def notice(reason: str, message: str, *args: Any) -> None:
    """Why reports are dropped or never sent (docs/sdks.md#no-silent-drop): a WARNING once per
    process per reason, every time in debug mode; ``opt-out`` only in debug mode. Repeats go
    to the logger at DEBUG."""
    if _echo:
        _emit(logging.WARNING if reason not in _DEBUG_ONLY else logging.DEBUG, message, *args)
        return
    if reason in _DEBUG_ONLY or reason in _said:
        _emit(logging.DEBUG, message, *args)
        return
    _said.add(reason)
    _emit(logging.WARNING, message, *args)


def invalid_options(reason: str) -> None:
    """init() got options it cannot work with; the SDK stays a no-op."""
    notice("config", "SDK disabled, nothing will be reported: invalid options: %s", reason)


def opted_out(reason: str) -> None:
    """The consent check turned the SDK off."""
    notice("opt-out", "SDK disabled: opted out by %s", reason)


def refused(reason: str, status: Optional[int], detail: str) -> None:
    """The endpoint refused a report for good (a 4xx); ``reason`` is the Decision's notice."""
    if reason == "unauthenticated":
        notice(reason, "a report was dropped: the ingest answered 401, it does not know this product_key or secret")
    elif reason == "not-ingest":
        notice(reason, "a report was dropped: the endpoint answered HTTP %s; is this the ingest URL?", status)
    else:
        notice("refused", "a report was dropped: refused by the ingest (%s)", detail)


def queue_full(count: int) -> None:
    """The queue's bounds dropped unsent reports."""
    notice(
        "queue-full",
        "queue full: %d unsent report(s) dropped (max_queue_files, max_queue_bytes or max_queue_age_seconds)",
        count,
    )


def queue_unavailable(path: str, error: BaseException) -> None:
    """The queue folder cannot be created; the SDK stays a no-op."""
    _emit(logging.WARNING, "dumpcatcher disabled: queue folder %s unusable (%s)", path, type(error).__name__)


def internal_error(where: str, error: BaseException) -> None:
    """A public call caught one of the SDK's own errors."""
    _emit(logging.DEBUG, "internal error in %s: %s: %s", where, type(error).__name__, error)


def report_sampled_out() -> None:
    """sample_rate dropped a crash report."""
    _emit(logging.DEBUG, "crash report dropped by sample_rate")


def report_dropped_by_before_send(report_id: str) -> None:
    """before_send returned None (or raised)."""
    _emit(logging.DEBUG, "report %s dropped by before_send", report_id)


def report_rate_limited(fingerprint: str) -> None:
    """The client-side limiter dropped a crash report."""
    notice("limiter", "a crash report was dropped by the client-side limiter (fingerprint %s)", fingerprint[:12])


def report_enqueued(name: str) -> None:
    """A report was written to the disk queue."""
    _emit(logging.DEBUG, "report queued as %s", name)


def report_delivered(name: str, status: int) -> None:
    """The server accepted (202) or already had (200) a report."""
    _emit(logging.DEBUG, "report %s delivered (HTTP %d)", name, status)


def report_dropped(name: str, reason: str) -> None:
    """A report was removed from the queue without being delivered."""
    _emit(logging.DEBUG, "report %s dropped: %s", name, reason)


def sessions_refused() -> None:
    """The ingest answered 404 to /v1/sessions (an older server): sessions stop for this process."""
    notice(
        "sessions-unsupported",
        "the ingest does not know /v1/sessions (an older server): session reports are dropped from now on",
    )


def sessions_found(count: int) -> None:
    """Sessions of earlier processes that ended without an end were found at start."""
    _emit(logging.DEBUG, "found %d session(s) that ended without an end", count)


def report_retry(name: str, reason: str, delay: float) -> None:
    """A send failed in a way worth retrying."""
    _emit(logging.DEBUG, "report %s not sent (%s); next try in %.2fs", name, reason, delay)


def report_exhausted(name: str, attempts: int) -> None:
    """A report used all its attempts for this process; it waits for the next start."""
    _emit(logging.DEBUG, "report %s kept for the next start after %d attempts", name, attempts)


def clock_corrected(offset: float) -> None:
    """A 401 carried a Date far from the local clock; the offset is remembered."""
    _emit(logging.DEBUG, "clock corrected by %.0fs from the server's Date header", offset)


def metric_failed(name: str, error: Optional[BaseException]) -> None:
    """A metric's collect() raised or returned an unusable value; it is left out."""
    _emit(logging.DEBUG, "metric %s left out (%s)", name, type(error).__name__ if error else "no usable value")


def breadcrumb_argument_ignored(name: str, expected: str) -> None:
    """add_breadcrumb was given an argument of the wrong type; the breadcrumb is kept without it."""
    _emit(logging.DEBUG, "add_breadcrumb: %s ignored, it is not %s", name, expected)


def debug_report(path: str, text: str) -> None:
    """Debug mode: the scrubbed report that would have been sent."""
    try:
        sys.stderr.write("[dumpcatcher] debug mode, not sent: POST %s\n%s\n" % (path, text))
    except Exception:  # noqa: BLE001
        pass


def body_over_limit(report_id: str, size: int, limit: int) -> None:
    """A crash body is over the size limit: what follows says what was left out to fit it."""
    _emit(logging.DEBUG, "report %s is %d bytes, over the limit of %d: making it fit", report_id, size, limit)


def body_part_left_out(report_id: str, what: str, size: int) -> None:
    """One step of fitting a crash body under the size limit removed data (docs/sdks.md#size)."""
    _emit(logging.DEBUG, "report %s: %s (now %d bytes)", report_id, what, size)


def body_still_over_limit(report_id: str, size: int) -> None:
    """Nothing the SDK may remove makes the body fit (a before_send made it so); it is sent as it is."""
    _emit(logging.DEBUG, "report %s is still %d bytes after every step; sent as it is", report_id, size)
