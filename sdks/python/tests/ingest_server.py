"""A local stand-in for the ingest function: verifies signatures and answers like it would."""

import base64
import gzip
import hashlib
import hmac
import json
import re
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple

HEADER_RULES = {
    "X-Dumpcatcher-Key": re.compile(r"^[A-Za-z0-9_-]{8,64}$"),
    "X-Dumpcatcher-Client": re.compile(r"^[A-Za-z0-9_-]{8,64}$"),
    "X-Dumpcatcher-Counter": re.compile(r"^[1-9][0-9]{0,15}$"),
    "X-Dumpcatcher-Timestamp": re.compile(r"^(0|[1-9][0-9]*)$"),
    "X-Dumpcatcher-Signature": re.compile(r"^v1=[0-9a-f]{64}$"),
}


def expected_signature(secret: str, path: str, headers: Dict[str, str], raw: bytes) -> str:
    """The vectors' algorithm, written independently of the SDK's signing module."""
    lines = [
        "DUMPCATCHER1-HMAC-SHA256",
        "POST",
        path,
        headers["X-Dumpcatcher-Key"],
        headers["X-Dumpcatcher-Client"],
        headers["X-Dumpcatcher-Counter"],
        headers["X-Dumpcatcher-Timestamp"],
        headers.get("X-Dumpcatcher-Body-Encoding") or "identity",
        hashlib.sha256(raw).hexdigest(),
    ]
    mac = hmac.new(secret.encode("utf-8"), "\n".join(lines).encode("utf-8"), hashlib.sha256)
    return "v1=" + mac.hexdigest()


@dataclass
class Received:
    """One request as the server saw it."""

    path: str
    headers: Dict[str, str]
    raw: bytes
    status: int
    at: float
    body: Optional[Dict[str, Any]] = None
    queue_files_at_arrival: List[str] = field(default_factory=list)

    @property
    def client_id(self) -> str:
        return self.headers.get("X-Dumpcatcher-Client", "")

    @property
    def counter(self) -> int:
        return int(self.headers.get("X-Dumpcatcher-Counter", "0"))


class IngestServer:
    """ThreadingHTTPServer on 127.0.0.1 with scripted answers after the signature check."""

    def __init__(self, product_key: str, secret: str, tls: Optional[Tuple[str, str]] = None) -> None:
        self.product_key = product_key
        self.secret = secret
        self.clock_offset = 0.0  # a server whose clock is ahead of the client's
        self.script: List[Tuple[int, Dict[str, str]]] = []
        self.received: List[Received] = []
        self.stored: Dict[Tuple[str, str], str] = {}  # (client, counter) -> reportId
        self.watch_dir: Optional[str] = None  # list this folder when a request arrives
        self.delay = 0.0
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self.tls = tls is not None
        if tls is not None:  # (certificate file, key file): serve https for the name in the certificate
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        if self.tls:
            return "https://localhost:%d" % port
        return "http://%s:%d" % (host, port)

    def start(self) -> "IngestServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def wait_for(self, count: int, timeout: float = 10.0) -> List[Received]:
        """Block until at least ``count`` requests arrived (fails the test otherwise)."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("expected %d requests, got %d" % (count, len(self.received)))
                self.arrived.wait(remaining)
            return list(self.received)

    def delivered(self) -> List[Received]:
        """Requests answered 200 or 202."""
        with self.lock:
            return [r for r in self.received if r.status in (200, 202)]

    def _handler(self):  # type: ignore[no-untyped-def]
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def date_time_string(self, timestamp: Optional[float] = None) -> str:
                return formatdate(time.time() + server.clock_offset, usegmt=True)

            def do_GET(self) -> None:
                self._answer(405, {"error": {"code": "method_not_allowed"}}, {"Allow": "POST"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                headers = {k: v for k, v in self.headers.items()}
                listing: List[str] = []
                if server.watch_dir is not None:
                    import os

                    listing = sorted(os.listdir(server.watch_dir))
                if server.delay:
                    time.sleep(server.delay)
                status, payload, extra_headers, body = self._decide(raw, headers)
                with server.arrived:
                    server.received.append(
                        Received(self.path, headers, raw, status, time.monotonic(), body, listing)
                    )
                    server.arrived.notify_all()
                self._answer(status, payload, extra_headers)

            def _decide(self, raw: bytes, headers: Dict[str, str]):  # type: ignore[no-untyped-def]
                if self.path not in ("/v1/crashes", "/v1/usage", "/v1/sessions"):
                    return 404, {"error": {"code": "not_found"}}, {}, None
                for name, rule in HEADER_RULES.items():
                    if not rule.match(headers.get(name, "")):
                        return 400, {"error": {"code": "invalid_header", "details": {"header": name}}}, {}, None
                if "Content-Encoding" in headers:
                    return 415, {"error": {"code": "unsupported_encoding"}}, {}, None
                encoding = headers.get("X-Dumpcatcher-Body-Encoding") or "identity"
                if encoding not in ("identity", "gzip"):
                    return 415, {"error": {"code": "unsupported_encoding"}}, {}, None
                if len(raw) > 1024 * 1024:
                    return 413, {"error": {"code": "payload_too_large"}}, {}, None
                expected = expected_signature(server.secret, self.path, headers, raw)
                skew = abs(int(headers["X-Dumpcatcher-Timestamp"]) - (time.time() + server.clock_offset))
                if (
                    headers["X-Dumpcatcher-Key"] != server.product_key
                    or not hmac.compare_digest(expected, headers["X-Dumpcatcher-Signature"])
                    or skew > 300
                ):
                    return 401, {"error": {"code": "unauthenticated"}}, {}, None
                with server.lock:
                    scripted = server.script.pop(0) if server.script else None
                if scripted is not None:
                    status, extra = scripted
                    return status, {"error": {"code": "scripted"}}, extra, None
                try:
                    text = gzip.decompress(raw) if encoding == "gzip" else raw
                except OSError:
                    return 400, {"error": {"code": "invalid_json"}}, {}, None
                if len(text) > 1024 * 1024:  # the real ingest's limit after gunzip too
                    return 413, {"error": {"code": "payload_too_large"}}, {}, None
                try:
                    body = json.loads(text.decode("utf-8"))
                except ValueError:
                    return 400, {"error": {"code": "invalid_json"}}, {}, None
                if not isinstance(body, dict) or not isinstance(body.get("reportId"), str):
                    return 400, {"error": {"code": "invalid_body"}}, {}, body
                key = (headers["X-Dumpcatcher-Client"], headers["X-Dumpcatcher-Counter"])
                with server.lock:
                    known = server.stored.get(key)
                    if known == body["reportId"]:
                        return 200, {"id": "doc", "duplicate": True}, {}, body
                    if known is not None:
                        return 409, {"error": {"code": "counter_reused"}}, {}, body
                    server.stored[key] = body["reportId"]
                return 202, {"id": "doc"}, {}, body

            def _answer(self, status: int, payload: Dict[str, Any], extra: Dict[str, str]) -> None:
                data = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


def decode_b64(text: str) -> bytes:
    return base64.b64decode(text)
