"""Building crash and usage report bodies (docs/protocol.md#crash-report)."""

import math
import platform
import re
import sys
import traceback
import uuid
from typing import Any, Dict, Mapping, Optional

from .disk_queue import rfc3339

MAX_TYPE = 512
MAX_MESSAGE_BYTES = 8 * 1024
MAX_STACKTRACE_BYTES = 256 * 1024  # the server's stored limit; keeps bodies far under 1 MiB
MAX_LABEL = 128
MAX_FINGERPRINT = 256
MAX_TAGS = 50
MAX_TAG_VALUE = 256
MAX_EXTRA_DEPTH = 24  # the body allows 32 levels; extra sits two levels down
TAG_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def truncate_utf8(text: str, limit: int, marker: str = "") -> str:
    """Cut text to at most ``limit`` UTF-8 bytes, never inside a character."""
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return text
    kept = data[:limit].decode("utf-8", "ignore")
    omitted = len(data) - len(kept.encode("utf-8"))
    return kept + (marker % omitted if marker else "")


def exception_type_name(exc: BaseException) -> str:
    """``QualName`` for builtins, ``module.QualName`` otherwise."""
    cls = type(exc)
    module = getattr(cls, "__module__", None)
    name = getattr(cls, "__qualname__", cls.__name__)
    if module and module != "builtins":
        name = module + "." + name
    return name[:MAX_TYPE]


def exception_message(exc: BaseException) -> str:
    """``str(exc)``, or a placeholder when the exception cannot print itself."""
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001
        text = "<unprintable %s>" % type(exc).__name__
    return truncate_utf8(text, MAX_MESSAGE_BYTES)


class _CachedFrames(traceback.StackSummary):
    """A StackSummary whose frame lines are memoised.

    From Python 3.11 formatting a frame re-parses its source line to place the ``^^^`` markers,
    which is most of the cost of ``format_exception``. The text depends only on the fields in
    the key, so a crash loop or a burst from one place formats each frame once. The output is
    byte for byte what ``traceback.format_exception`` prints.
    """

    _cache: Dict[Any, str] = {}
    _CACHE_LIMIT = 2048

    def format_frame_summary(self, frame_summary: Any, **kwargs: Any) -> str:
        fs = frame_summary
        key = (
            fs.filename,
            fs.lineno,
            fs.name,
            fs.line,
            getattr(fs, "end_lineno", None),
            getattr(fs, "colno", None),
            getattr(fs, "end_colno", None),
            tuple(sorted(fs.locals.items())) if fs.locals else None,
            tuple(sorted(kwargs.items())),
        )
        text = self._cache.get(key)
        if text is None:
            text = super().format_frame_summary(frame_summary, **kwargs)  # type: ignore[misc]
            if len(self._cache) >= self._CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = text
        return text


_CAN_CACHE_FRAMES = hasattr(traceback.StackSummary, "format_frame_summary")


def _use_cached_frames(te: traceback.TracebackException) -> None:
    seen = set()
    pending = [te]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if type(current.stack) is traceback.StackSummary:
            current.stack.__class__ = _CachedFrames
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)
        pending.extend(getattr(current, "exceptions", None) or [])  # exception groups


def format_stacktrace(exc: BaseException) -> str:
    """Python's own traceback text (``traceback.format_exception``), chained exceptions included."""
    try:
        if _CAN_CACHE_FRAMES:
            te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
            _use_cached_frames(te)
            text = "".join(te.format())
        else:
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    except Exception:  # noqa: BLE001 - e.g. a broken __str__ inside format_exception
        text = "%s (traceback unavailable)\n" % type(exc).__name__
    return truncate_utf8(text, MAX_STACKTRACE_BYTES, "\n... [truncated by dumpcatcher-python: %d bytes omitted]") or "?"


# platform.machine() names mapped to Node's process.arch names (test/vectors/arch-v1.json).
_ARCH_NAMES = {
    "x86_64": "x64",
    "amd64": "x64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "i386": "ia32",
    "i686": "ia32",
    "x86": "ia32",
    "armv6l": "arm",
    "armv7l": "arm",
    "armv8l": "arm",
    "ppc64le": "ppc64",
}


def os_arch() -> str:
    """CPU architecture in Node's names (x64, arm64, ia32, arm, ...), as the other SDKs send it."""
    machine = platform.machine().lower()
    return _ARCH_NAMES.get(machine, machine or "unknown")


def os_name() -> str:
    """OS family: linux, darwin, windows, ..."""
    return (platform.system() or sys.platform).lower()


def runtime_info() -> Dict[str, str]:
    """``{"name": "python", "version": ...}``."""
    return {"name": "python", "version": platform.python_version()[:64]}


def os_info() -> Dict[str, str]:
    """``{"name", "version", "arch"}`` of this machine."""
    return {"name": os_name()[:64], "version": platform.release()[:64], "arch": os_arch()[:64]}


def clean_tags(*layers: Optional[Mapping[str, Any]]) -> Dict[str, str]:
    """Merge tag layers (later wins), keep valid keys, stringify and cut values, at most 50."""
    merged: Dict[str, str] = {}
    for layer in layers:
        if not layer:
            continue
        for key, value in layer.items():
            if isinstance(key, str) and TAG_KEY.match(key) and value is not None:
                merged[key] = str(value)[:MAX_TAG_VALUE]
    return dict(list(merged.items())[:MAX_TAGS])


def clean_json(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy of ``extra``: unknown objects become their repr, depth is bounded."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if depth >= MAX_EXTRA_DEPTH:
        return "<too deep>"
    if isinstance(value, Mapping):
        return {str(k): clean_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [clean_json(v, depth + 1) for v in value]
    try:
        return repr(value)[:1024]
    except Exception:  # noqa: BLE001
        return "<unrepresentable %s>" % type(value).__name__


def new_report_id() -> str:
    """A random UUID v4."""
    return str(uuid.uuid4())


def crash_report(
    exc: BaseException,
    now: float,
    app_name: str,
    app_version: str,
    label: Optional[str],
    default_tags: Mapping[str, str],
    tags: Optional[Mapping[str, Any]],
    extra: Optional[Mapping[str, Any]],
    fingerprint: Optional[str],
    install_id: Optional[str],
    runtime: Mapping[str, str],
    os_: Mapping[str, str],
    environment: str,
) -> Dict[str, Any]:
    """The unscrubbed crash report body for one exception."""
    body: Dict[str, Any] = {
        "reportId": new_report_id(),
        "occurredAt": rfc3339(now),
        "environment": environment,
        "exception": {
            "type": exception_type_name(exc),
            "message": exception_message(exc),
            "stacktrace": format_stacktrace(exc),
        },
        "app": {"name": app_name, "version": app_version},
        "runtime": dict(runtime),
        "os": dict(os_),
    }
    if label:
        body["label"] = str(label)[:MAX_LABEL]
    merged = clean_tags(default_tags, tags)
    if merged:
        body["tags"] = merged
    if extra:
        body["extra"] = clean_json(dict(extra))
    if fingerprint:
        body["fingerprint"] = str(fingerprint)[:MAX_FINGERPRINT]
    if install_id:
        body["installId"] = install_id
    return body


def usage_report(
    metrics: Mapping[str, Any],
    now: float,
    app_name: str,
    app_version: str,
    label: Optional[str],
    install_id: Optional[str],
    environment: str,
) -> Dict[str, Any]:
    """The usage report body for one set of collected metrics."""
    body: Dict[str, Any] = {
        "reportId": new_report_id(),
        "occurredAt": rfc3339(now),
        "environment": environment,
        "app": {"name": app_name, "version": app_version},
        "metrics": dict(metrics),
    }
    if label:
        body["label"] = str(label)[:MAX_LABEL]
    if install_id:
        body["installId"] = install_id
    return body


