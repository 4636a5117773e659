"""One signed HTTP attempt per call, classified as a tagged result (never an exception)."""

import email.utils
import gzip
import http.client
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Callable, Mapping, Optional, Tuple

from . import log
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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None  # a redirected POST would lose its body; treat 3xx as a refusal


def _parse_http_date(value: Optional[str]) -> Optional[float]:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return parsed.timestamp()


def parse_retry_after(value: Optional[str], server_now: Optional[float], local_now: float) -> Optional[float]:
    """Seconds to wait from a Retry-After given in seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    when = _parse_http_date(value)
    if when is None:
        return None
    now = server_now if server_now is not None else local_now
    return max(0.0, min(when - now, MAX_RETRY_AFTER))


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
        result, server_date = self._attempt(entry, body, encoding)
        if result.status == 401 and server_date is not None:
            skew = server_date - (self._clock() + self.clock_offset)
            if abs(skew) > CLOCK_SKEW_TOLERANCE:
                with self._lock:
                    self.clock_offset += skew
                log.clock_corrected(self.clock_offset)
                result, _ = self._attempt(entry, body, encoding)
        return result

    def _attempt(self, entry: Entry, body: bytes, encoding: str) -> Tuple[SendResult, Optional[float]]:
        timestamp = int(self._clock() + self.clock_offset)
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
        try:
            with self._opener.open(request, timeout=self.request_timeout) as response:
                response.read(65536)
                return SendResult(DELIVERED, int(response.status)), None
        except urllib.error.HTTPError as error:
            status = error.code
            # lower-cased names: a proxy may send "retry-after" as well as "Retry-After"
            headers_in: Mapping[str, str] = (
                {k.lower(): v for k, v in error.headers.items()} if error.headers else {}
            )
            try:
                error.read(65536)
            except Exception:  # noqa: BLE001 - the body is only informative
                pass
            finally:
                error.close()
            server_date = _parse_http_date(headers_in.get("date"))
            return self._classify(status, headers_in, server_date), server_date
        except (urllib.error.URLError, http.client.HTTPException, socket.timeout, OSError, ValueError) as error:
            return SendResult(RETRY, None, "network error: %s" % type(error).__name__), None

    def _classify(self, status: int, headers: Mapping[str, str], server_date: Optional[float]) -> SendResult:
        if 200 <= status < 300:
            return SendResult(DELIVERED, status)
        if status == 429 or status >= 500:
            retry_after = None
            if status in (429, 503):
                retry_after = parse_retry_after(headers.get("retry-after"), server_date, self._clock())
            return SendResult(RETRY, status, "HTTP %d" % status, retry_after)
        return SendResult(DROP, status, "HTTP %d" % status)
