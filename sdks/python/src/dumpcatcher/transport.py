"""One signed HTTP attempt per call, classified as a tagged result (never an exception)."""

import email.utils
import gzip
import http.client
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Callable, Mapping, Optional, Tuple

from . import log
from .auto_breadcrumbs import quiet
from .disk_queue import Entry, encode_body
from .signing import signed_headers

DELIVERED = "delivered"  # 200 duplicate or 202 stored: delete the file
DROP = "drop"  # permanent refusal: delete the file
RETRY = "retry"  # network error, timeout, 5xx, 429: keep the file and back off

CLOCK_SKEW_TOLERANCE = 60.0
MAX_RETRY_AFTER = 3600.0
USER_AGENT = "dumpcatcher-python/0.1.0"


@dataclass
class SendResult:
    """What one send did: ``outcome`` is DELIVERED, DROP or RETRY."""

    outcome: str
    status: Optional[int] = None
    reason: str = ""
    retry_after: Optional[float] = None
    notice: Optional[str] = None  # DROP: the notice of test/vectors/notices-v1.json it gets


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None  # a redirected POST would lose its body; treat 3xx as a refusal


CLOCK_FIX = "clock_fix"  # a 401 whose Date shows the local clock is off: correct it, send once more

_DIGITS = re.compile(r"[0-9]+")
# RFC 9110's IMF-fixdate, the form servers send; strict so that all three SDKs read the same dates.
_IMF_FIXDATE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT"
)


def _parse_http_date(value: Optional[str]) -> Optional[float]:
    """Unix seconds of an IMF-fixdate (``Sun, 22 Nov 2026 08:00:00 GMT``), or None."""
    if not value or not _IMF_FIXDATE.fullmatch(value.strip()):
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return parsed.timestamp()


def parse_retry_after(value: Optional[str], server_now: Optional[float], local_now: float) -> Optional[float]:
    """Seconds to wait from a Retry-After in seconds or as an HTTP date (counted from the
    answer's Date when there is one), at most MAX_RETRY_AFTER; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if _DIGITS.fullmatch(value):  # ASCII digits only: str.isdigit() would take "٣" too
        return min(float(value), MAX_RETRY_AFTER)
    when = _parse_http_date(value)
    if when is None:
        return None
    now = server_now if server_now is not None else local_now
    return max(0.0, min(when - now, MAX_RETRY_AFTER))


@dataclass
class Decision:
    """What an ingest answer means for the report (docs/sdks.md#sending-and-retries)."""

    action: str  # DELIVERED, DROP, RETRY or CLOCK_FIX
    retry_after: Optional[float] = None  # RETRY: wait at least this many seconds
    clock_offset: Optional[float] = None  # CLOCK_FIX: server time minus local time, seconds
    # DROP (and a 401's CLOCK_FIX, should the retry fail too): unauthenticated, not-ingest or refused
    notice: Optional[str] = None


def _error_code(body: bytes) -> Optional[str]:
    try:
        parsed = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def classify_answer(
    status: int, headers: Mapping[str, str], now: float, clock_offset: float, body: bytes = b""
) -> Decision:
    """Classify one answer; ``headers`` have lower-case names, ``now`` is the local clock and
    ``clock_offset`` the offset the request was signed with (seconds)."""
    if 200 <= status < 300:
        return Decision(DELIVERED)
    server_date = _parse_http_date(headers.get("date"))
    if status == 401:
        # The ingest's own 401 means the key or secret; a 401 without its body is something else.
        notice = "unauthenticated" if _error_code(body) == "unauthenticated" else "not-ingest"
        if server_date is not None and abs(server_date - (now + clock_offset)) > CLOCK_SKEW_TOLERANCE:
            return Decision(CLOCK_FIX, clock_offset=server_date - now, notice=notice)
        return Decision(DROP, notice=notice)
    if status == 429 or status >= 500:
        retry_after = None
        if status in (429, 503):
            retry_after = parse_retry_after(headers.get("retry-after"), server_date, now)
        return Decision(RETRY, retry_after=retry_after)
    if status >= 400:
        # 403, 404 and 405 are never the ingest's answer to a signed POST: likely the wrong URL or port.
        return Decision(DROP, notice="not-ingest" if status in (403, 404, 405) else "refused")
    # 1xx and 3xx are not the ingest's answers (a redirecting proxy, a moved endpoint): keep the report.
    return Decision(RETRY)


class Transport:
    """Signs and posts queued reports to the ingest endpoint with ``urllib.request``."""

    def __init__(
        self,
        endpoint: str,
        product_key: str,
        secret: str,
        request_timeout: float,
        gzip_threshold_bytes: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.product_key = product_key
        self._secret = secret
        self.request_timeout = request_timeout
        self.gzip_threshold_bytes = gzip_threshold_bytes
        self._clock = clock
        self._lock = threading.Lock()
        self.clock_offset = 0.0  # server time minus local time, learnt from a 401's Date
        self._opener = urllib.request.build_opener(_NoRedirect())

    def after_fork(self) -> None:
        """Fresh lock in a forked child."""
        self._lock = threading.Lock()

    def send(self, entry: Entry) -> SendResult:
        """Send one report; a 401 far off the server's clock is corrected and retried once."""
        body = encode_body(entry.body)
        encoding = "identity"
        if len(body) >= self.gzip_threshold_bytes:
            body = gzip.compress(body, compresslevel=6, mtime=0)
            encoding = "gzip"
        result, decision = self._attempt(entry, body, encoding)
        if decision is not None and decision.action == CLOCK_FIX and decision.clock_offset is not None:
            with self._lock:
                self.clock_offset = decision.clock_offset
            log.clock_corrected(self.clock_offset)
            result, _ = self._attempt(entry, body, encoding)
        return result

    def _attempt(self, entry: Entry, body: bytes, encoding: str) -> Tuple[SendResult, Optional[Decision]]:
        offset = self.clock_offset
        timestamp = int(self._clock() + offset)
        headers = signed_headers(
            self._secret,
            entry.path,
            self.product_key,
            entry.client_id,
            entry.counter,
            timestamp,
            encoding,
            body,
        )
        headers["User-Agent"] = USER_AGENT
        request = urllib.request.Request(self.endpoint + entry.path, data=body, headers=headers, method="POST")
        answer = b""
        try:
            with quiet(), self._opener.open(request, timeout=self.request_timeout) as response:
                answer = response.read(65536)
                status = int(response.status)
                headers_in: Mapping[str, str] = {k.lower(): v for k, v in response.headers.items()}
        except urllib.error.HTTPError as error:
            status = error.code
            # lower-cased names: a proxy may send "retry-after" as well as "Retry-After"
            headers_in = {k.lower(): v for k, v in error.headers.items()} if error.headers else {}
            try:
                answer = error.read(65536)
            except Exception:  # noqa: BLE001 - the body is only informative
                pass
            finally:
                error.close()
        except (urllib.error.URLError, http.client.HTTPException, socket.timeout, OSError, ValueError) as error:
            return SendResult(RETRY, None, "network error: %s" % type(error).__name__), None
        decision = classify_answer(status, headers_in, self._clock(), offset, answer)
        # A 401 is a drop unless send() corrects the clock and tries once more.
        outcome = DROP if decision.action == CLOCK_FIX else decision.action
        code = _error_code(answer) if outcome == DROP else None
        reason = "HTTP %d" % status + (" " + code if code else "")
        return SendResult(outcome, status, reason, decision.retry_after, decision.notice), decision
