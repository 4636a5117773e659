"""Fitting a crash report under the ingest's body limit (docs/sdks.md#size, test/vectors/fit-v1.json)."""

import json
from typing import Any, Dict, Optional, Tuple

from . import log
from .disk_queue import encode_body

# The ingest refuses bodies over 1 MiB (1,048,576 bytes); the three SDKs keep under this.
MAX_BODY_BYTES = 1_000_000
# The server's stored limit for a stack trace; a trace cut here keeps no more than it would store.
MAX_STACKTRACE_BYTES = 256 * 1024
TRUNCATED = "\n\u2026 [truncated by dumpcatcher: %d bytes omitted]"


def _json_bytes(text: str) -> int:
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8"))


def cut_stacktrace(trace: str, budget: int) -> Optional[str]:
    """The longest head of ``trace`` plus the truncation marker whose JSON fits ``budget`` bytes
    and whose UTF-8 is at most 256 KiB; None when not even the marker alone fits."""
    total = len(trace.encode("utf-8"))

    def piece(k: int) -> str:
        head = trace[:k]
        return head + TRUNCATED % (total - len(head.encode("utf-8")))

    def fits(k: int) -> bool:
        text = piece(k)
        return len(text.encode("utf-8")) <= MAX_STACKTRACE_BYTES and _json_bytes(text) <= budget

    if not fits(0):
        return None
    # Each character is at least one byte, so no head longer than 256 Ki characters fits.
    low, high = 0, min(len(trace), MAX_STACKTRACE_BYTES)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return piece(low)


def fit_body(body: Dict[str, Any], encoded: bytes) -> Tuple[Dict[str, Any], bytes]:
    """The crash body and its bytes as sent, made to fit MAX_BODY_BYTES when ``encoded`` is over it.

    Leaves out ``extra``, then the older half of the breadcrumbs again and again, then the source
    context, then cuts the stack trace, each only while the body is still over the limit. The
    caller's dicts are not changed. A body that still does not fit (a before_send put more than
    the limit elsewhere) is returned as it is, and the ingest decides.
    """
    if len(encoded) <= MAX_BODY_BYTES:
        return body, encoded
    report_id = str(body.get("reportId"))
    log.body_over_limit(report_id, len(encoded), MAX_BODY_BYTES)
    body = dict(body)
    if "extra" in body:
        del body["extra"]
        encoded = encode_body(body)
        log.body_part_left_out(report_id, "extra left out", len(encoded))
        if len(encoded) <= MAX_BODY_BYTES:
            return body, encoded
    crumbs = body.get("breadcrumbs")
    if isinstance(crumbs, list) and crumbs:
        had = len(crumbs)
        while crumbs and len(encoded) > MAX_BODY_BYTES:
            crumbs = crumbs[len(crumbs) - len(crumbs) // 2 :]  # the newest half, rounded down
            if crumbs:
                body["breadcrumbs"] = crumbs
            else:
                del body["breadcrumbs"]
            encoded = encode_body(body)
        log.body_part_left_out(report_id, "kept the newest %d of %d breadcrumbs" % (len(crumbs), had), len(encoded))
        if len(encoded) <= MAX_BODY_BYTES:
            return body, encoded
    exception = body.get("exception")
    if isinstance(exception, dict) and "sourceContext" in exception:
        exception = dict(exception)
        del exception["sourceContext"]
        body["exception"] = exception
        encoded = encode_body(body)
        log.body_part_left_out(report_id, "source context left out", len(encoded))
        if len(encoded) <= MAX_BODY_BYTES:
            return body, encoded
    trace = exception.get("stacktrace") if isinstance(exception, dict) else None
    if isinstance(trace, str):
        budget = MAX_BODY_BYTES - (len(encoded) - _json_bytes(trace))
        cut = cut_stacktrace(trace, budget)
        if cut is not None:
            exception = dict(exception)  # type: ignore[arg-type]
            exception["stacktrace"] = cut
            body["exception"] = exception
            encoded = encode_body(body)
            log.body_part_left_out(report_id, "stack trace cut to %d bytes" % len(cut.encode("utf-8")), len(encoded))
            return body, encoded
    log.body_still_over_limit(report_id, len(encoded))
    return body, encoded
