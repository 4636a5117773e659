"""Dumpcatcher Python SDK: crash reports and usage metrics, standard library only.

    import dumpcatcher
    dumpcatcher.init(endpoint=..., product_key=..., secret=..., app_name=..., app_version=...)

Every function here is safe to call before ``init`` or after ``close`` (it does nothing) and
never raises into the app. See docs/sdk-python.md.
"""

import threading
from typing import Any, Mapping, Optional

from . import log
from .client import Client
from .consent import opt_out_reason
from .metrics import REGISTRY, Collector, Metric, MetricContext, MetricValue
from .monitor import Monitor
from .options import Options, OptionsError
from .sender import RetryPolicy

__all__ = [
    "Client",
    "add_breadcrumb",
    "Collector",
    "Metric",
    "MetricContext",
    "MetricValue",
    "Monitor",
    "Options",
    "REGISTRY",
    "RetryPolicy",
    "capture_exception",
    "close",
    "flush",
    "get_client",
    "init",
    "report_usage",
    "start_session",
    "end_session",
]

__version__ = "0.1.0"

_lock = threading.Lock()
_client: Optional[Client] = None
# init() was given options it cannot work with: flush() must not say all went well.
_misconfigured = False


def init(**options: Any) -> None:
    """Start the SDK with the options of docs/sdk-python.md; a second call replaces the first.

    Opt-out (``enabled=False``, ``DO_NOT_TRACK``, ``DUMPCATCHER_DISABLED``, the config file)
    and invalid options leave the SDK a no-op; invalid options say why (a WARNING, once).
    """
    global _client, _misconfigured
    try:
        _misconfigured = False
        _close(0.0)  # a re-init does not wait: the new client sends what the old one left
        log.set_echo(bool(options.get("debug", False)))
        reason = opt_out_reason(bool(options.get("enabled", True)))
        if reason is not None:
            log.opted_out(reason)
            return
        try:
            parsed = Options.from_kwargs(options)
        except OptionsError as error:
            log.invalid_options(str(error))
            _misconfigured = True
            return
        try:
            client = Client(parsed)
        except OSError as error:
            log.queue_unavailable(str(parsed.queue_dir), error)
            return
        with _lock:
            _client = client
    except Exception as error:  # noqa: BLE001 - init must never break the app
        log.internal_error("init", error)


def get_client() -> Optional[Client]:
    """The active client, or None before init, after close, or when opted out."""
    return _client


def capture_exception(
    exc: Optional[BaseException] = None,
    label: Optional[str] = None,
    tags: Optional[Mapping[str, Any]] = None,
    extra: Optional[Mapping[str, Any]] = None,
    fingerprint: Optional[str] = None,
) -> Optional[str]:
    """Queue a crash report for ``exc`` (default: the exception being handled); returns its reportId."""
    client = _client
    if client is None:
        return None
    try:
        return client.capture_exception(exc, label=label, tags=tags, extra=extra, fingerprint=fingerprint)
    except Exception as error:  # noqa: BLE001
        log.internal_error("capture_exception", error)
        return None


def add_breadcrumb(
    category: Optional[str] = None,
    message: Optional[str] = None,
    level: str = "info",
    data: Optional[Mapping[str, Any]] = None,
) -> None:
    """Record what the program did (``level``: debug, info, warning, error, fatal); the last
    ``max_breadcrumbs`` go with every crash report captured afterwards, scrubbed and cut."""
    client = _client
    if client is None:
        return
    try:
        client.add_breadcrumb(category, message, level, data)
    except Exception as error:  # noqa: BLE001
        log.internal_error("add_breadcrumb", error)


def report_usage() -> Optional[str]:
    """Collect every registered metric and queue one usage report; returns its reportId."""
    client = _client
    if client is None:
        return None
    try:
        return client.report_usage()
    except Exception as error:  # noqa: BLE001
        log.internal_error("report_usage", error)
        return None


def start_session() -> None:
    """Start a release health session, ending the running one first; for apps with their own sessions."""
    client = _client
    if client is None:
        return
    try:
        client.start_session()
    except Exception as error:  # noqa: BLE001
        log.internal_error("start_session", error)


def end_session() -> None:
    """End the running session and queue its report."""
    client = _client
    if client is None:
        return
    try:
        client.end_session()
    except Exception as error:  # noqa: BLE001
        log.internal_error("end_session", error)


def flush(timeout: float = 2.0) -> bool:
    """Wait up to ``timeout`` seconds for the queue to empty; True when it did and no report was
    refused or dropped unsent since the last flush (False, too, while the options disabled the SDK)."""
    client = _client
    if client is None:
        return not _misconfigured
    try:
        return client.flush(timeout)
    except Exception as error:  # noqa: BLE001
        log.internal_error("flush", error)
        return False


def close() -> None:
    """Flush for ``shutdown_timeout``, remove the hooks; afterwards every call is a no-op."""
    _close(None)


def _close(timeout: Optional[float]) -> None:
    global _client
    with _lock:
        client, _client = _client, None
    if client is None:
        return
    try:
        client.close(timeout)
    except Exception as error:  # noqa: BLE001
        log.internal_error("close", error)
    finally:
        log.set_echo(False)
