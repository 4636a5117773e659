"""Automatic breadcrumbs (docs/sdk-python.md#breadcrumbs): ``logging`` records and
``http.client`` requests (which ``urllib.request`` makes too).

Each kind patches one place of the standard library once per process and hands what it sees
to the sink of the active client; without a sink the patch only calls the original. Whatever
happens inside the patch, the app's own call goes on unchanged: errors of ours are swallowed,
the app's errors are re-raised as they were. The SDK's own work is never recorded: its logger
(``dumpcatcher``) is skipped by name, and its requests run inside ``quiet()``, which also
stops a breadcrumb from recording another (a ``__str__`` that logs, say).
"""

import http.client
import logging
import threading
import urllib.parse
from typing import Any, Callable, Dict, Optional, Tuple

# add(category, message, level, data, timestamp): Breadcrumbs.add of the active client.
Sink = Callable[..., Any]

_local = threading.local()


class _Quiet:
    """A class, not a @contextmanager generator: it runs on every recorded log record."""

    __slots__ = ("_before",)

    def __enter__(self) -> None:
        self._before = getattr(_local, "quiet", False)
        _local.quiet = True

    def __exit__(self, *exc: Any) -> None:
        _local.quiet = self._before


def quiet() -> _Quiet:
    """Nothing this thread logs or requests inside is recorded (the SDK's own sending)."""
    return _Quiet()


def _is_quiet() -> bool:
    return getattr(_local, "quiet", False)


def _record(sink: Sink, **breadcrumb: Any) -> None:
    with quiet():
        try:
            sink(**breadcrumb)
        except Exception:  # noqa: BLE001 - a breadcrumb must never break the app's call
            pass


# -- logging ---------------------------------------------------------------------------------

_SDK_LOGGER = "dumpcatcher"


def log_level(levelno: int) -> Optional[str]:
    """The breadcrumb level of a ``logging`` level; None below INFO (not recorded)."""
    if levelno >= logging.CRITICAL:
        return "fatal"
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warning"
    if levelno >= logging.INFO:
        return "info"
    return None


class _LoggingPatch:
    """``logging.Logger.callHandlers`` wrapped: it sees every record a logger lets through,
    whether it propagates to the root or not."""

    def __init__(self) -> None:
        self.sink: Optional[Sink] = None
        self._original: Optional[Callable[..., Any]] = None
        self._wrapper: Optional[Callable[..., Any]] = None

    def install(self, sink: Sink) -> None:
        self.sink = sink
        if self._wrapper is not None and logging.Logger.callHandlers is not self._original:
            return  # still in place, on top or inside another library's wrapper: never twice
        original = logging.Logger.callHandlers
        patch = self

        def callHandlers(logger: logging.Logger, record: logging.LogRecord) -> None:  # noqa: N802
            current = patch.sink
            if current is not None and not _is_quiet():
                patch.observe(current, record)
            original(logger, record)

        self._original, self._wrapper = original, callHandlers
        logging.Logger.callHandlers = callHandlers  # type: ignore[method-assign]

    def uninstall(self, sink: Sink) -> None:
        if self.sink is not sink:
            return  # another client's by now
        self.sink = None
        if self._wrapper is not None and logging.Logger.callHandlers is self._wrapper:
            logging.Logger.callHandlers = self._original  # type: ignore[method-assign]
            self._original = self._wrapper = None
        # else someone wrapped ours since: it stays in their chain, silent without a sink

    @staticmethod
    def observe(sink: Sink, record: logging.LogRecord) -> None:
        try:
            level = log_level(record.levelno)
            name = record.name
            if level is None or name == _SDK_LOGGER or name.startswith(_SDK_LOGGER + "."):
                return
            with quiet():
                message = record.getMessage()
        except Exception:  # noqa: BLE001 - a record that cannot format is the handlers' business
            return
        _record(sink, category="log", message=message, level=level, data={"logger": name}, timestamp=record.created)


# -- http.client (and urllib.request, which uses it) ------------------------------------------

_PENDING = "_dumpcatcher_request"


def request_target(connection: http.client.HTTPConnection, url: str) -> Tuple[str, str]:
    """``(host, path)`` of a request: the host (with its port when not the scheme's default)
    the request is for, through a proxy too, and the path without query string or fragment."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme and parts.netloc:  # absolute form: sent to an http proxy
        hostname = parts.hostname or ""
        port = parts.port
        default = 443 if parts.scheme == "https" else 80
    else:
        tunnel = getattr(connection, "_tunnel_host", None)  # CONNECT through a proxy
        hostname = tunnel or connection.host
        port = getattr(connection, "_tunnel_port", None) if tunnel else connection.port
        default = connection.default_port
    if ":" in hostname:
        hostname = "[%s]" % hostname  # IPv6, as in a URL
    host = hostname if port is None or port == default else "%s:%d" % (hostname, port)
    return host, parts.path or ("*" if url == "*" else "/")


class _HttpPatch:
    """``HTTPConnection.putrequest`` notes the request, ``endheaders`` and ``getresponse``
    record it once, with the answer's status or the error that left no answer."""

    def __init__(self) -> None:
        self.sink: Optional[Sink] = None
        self._originals: Dict[str, Callable[..., Any]] = {}
        self._wrappers: Dict[str, Callable[..., Any]] = {}

    def install(self, sink: Sink) -> None:
        self.sink = sink
        cls = http.client.HTTPConnection
        if self._wrappers and not any(getattr(cls, n) is o for n, o in self._originals.items()):
            return  # still in place, on top or inside another library's wrappers: never twice
        put, end, get = cls.putrequest, cls.endheaders, cls.getresponse
        patch = self

        def putrequest(conn: http.client.HTTPConnection, method: str, url: str, *args: Any, **kwargs: Any) -> None:
            pending = None
            if patch.sink is not None and not _is_quiet():
                try:
                    pending = (str(method),) + request_target(conn, str(url))
                except Exception:  # noqa: BLE001
                    pending = None
            setattr(conn, _PENDING, pending)
            put(conn, method, url, *args, **kwargs)

        def endheaders(conn: http.client.HTTPConnection, *args: Any, **kwargs: Any) -> None:
            try:
                end(conn, *args, **kwargs)
            except Exception as error:
                patch.done(conn, None, error)
                raise

        def getresponse(conn: http.client.HTTPConnection) -> http.client.HTTPResponse:
            try:
                response = get(conn)
            except Exception as error:
                patch.done(conn, None, error)
                raise
            patch.done(conn, response.status, None)
            return response

        self._originals = {"putrequest": put, "endheaders": end, "getresponse": get}
        self._wrappers = {"putrequest": putrequest, "endheaders": endheaders, "getresponse": getresponse}
        for name, wrapper in self._wrappers.items():
            setattr(cls, name, wrapper)

    def uninstall(self, sink: Sink) -> None:
        if self.sink is not sink:
            return
        self.sink = None
        cls = http.client.HTTPConnection
        if self._wrappers and all(getattr(cls, n) is w for n, w in self._wrappers.items()):
            for name, original in self._originals.items():
                setattr(cls, name, original)
            self._originals, self._wrappers = {}, {}

    def done(self, conn: http.client.HTTPConnection, status: Optional[int], error: Optional[BaseException]) -> None:
        try:
            pending = conn.__dict__.pop(_PENDING, None)
        except Exception:  # noqa: BLE001
            return
        sink = self.sink
        if pending is None or sink is None:
            return
        method, host, path = pending
        data: Dict[str, Any] = {"method": method, "host": host, "path": path}
        if status is not None:
            data["status"] = status
            level = "error" if status >= 500 else "warning" if status >= 400 else "info"
        else:
            data["error"] = type(error).__name__
            level = "error"
        _record(sink, category="http", message="%s %s%s" % (method, host, path), level=level, data=data)


LOGGING = _LoggingPatch()
HTTP = _HttpPatch()
#: The kinds, by the names of the ``auto_breadcrumbs`` option.
KINDS = {"logging": LOGGING, "http": HTTP}
