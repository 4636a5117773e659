"""Proxies the way Python expects (urllib's HTTPS_PROXY / HTTP_PROXY / NO_PROXY), through a real local proxy."""

import os
import select
import socket
import socketserver
import threading
from typing import Any, Iterator, List
from urllib.parse import urlsplit

import pytest

from conftest import PRODUCT_KEY, SECRET, report_files
from dumpcatcher import Client, Options
from dumpcatcher.disk_queue import Entry
from dumpcatcher.transport import DELIVERED, RETRY, Transport
from ingest_server import IngestServer

# A self-signed certificate for DNS name localhost only, shared with the Node SDK's tests.
TLS_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "node", "test", "fixtures", "tls")
CERT = os.path.join(TLS_DIR, "localhost-cert.pem")
KEY = os.path.join(TLS_DIR, "localhost-key.pem")


class LocalProxy(socketserver.ThreadingTCPServer):
    """CONNECT tunnels and absolute-URL forwarding; records the first line of each connection."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.seen: List[str] = []
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self.server_address[1]

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _ProxyHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        client: socket.socket = self.request
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                return
            head += chunk
        first = head.split(b"\r\n", 1)[0].decode("latin-1")
        self.server.seen.append(first)  # type: ignore[attr-defined]
        method, target = first.split(" ")[:2]
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            upstream = socket.create_connection((host, int(port)))
            client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            rest = head.split(b"\r\n\r\n", 1)[1]
        else:
            url = urlsplit(target)
            upstream = socket.create_connection((url.hostname, url.port or 80))
            # As real proxies do: the request goes on in origin form (path only).
            origin = url.path + ("?" + url.query if url.query else "")
            rest = ("%s %s %s" % (method, origin, first.split(" ")[2])).encode("latin-1") + head[len(first) :]
        if rest:
            upstream.sendall(rest)
        _pipe(client, upstream)


def _pipe(a: socket.socket, b: socket.socket) -> None:
    try:
        while True:
            ready, _, _ = select.select([a, b], [], [], 10)
            if not ready:
                return
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                (b if sock is a else a).sendall(data)
    except OSError:
        pass
    finally:
        b.close()


@pytest.fixture
def proxy() -> Iterator[LocalProxy]:
    server = LocalProxy()
    yield server
    server.stop()


@pytest.fixture
def tls_ingest(monkeypatch: pytest.MonkeyPatch) -> Iterator[IngestServer]:
    """An https ingest for localhost, trusted by this process through SSL_CERT_FILE."""
    monkeypatch.setenv("SSL_CERT_FILE", CERT)
    server = IngestServer(PRODUCT_KEY, SECRET, tls=(CERT, KEY)).start()
    yield server
    server.stop()


def _client(endpoint: str, queue_dir: str) -> Client:
    return Client(
        Options.from_kwargs(
            dict(
                endpoint=endpoint,
                product_key=PRODUCT_KEY,
                secret=SECRET,
                app_name="sdk-tests",
                app_version="1.2.3",
                queue_dir=queue_dir,
                capture_uncaught=False,
                auto_session_tracking=False,
            )
        )
    )


def _entry() -> Entry:
    return Entry(name="x.json", path="/v1/crashes", client_id="client-abcdefgh", counter=1, created_at="2026-11-22T08:00:00Z",
                 body={"reportId": "6f1c0e6e-1111-4111-8111-111111111111"})


def test_a_report_reaches_an_https_ingest_through_the_https_proxy_tunnel(
    monkeypatch: pytest.MonkeyPatch, proxy: LocalProxy, tls_ingest: IngestServer, queue_dir: str
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    client = _client(tls_ingest.url, queue_dir)
    try:
        client.capture_exception(ValueError("through the tunnel"))
        assert client.flush(5.0) is True
    finally:
        client.close(timeout=0)
    assert [r.status for r in tls_ingest.delivered()] == [202]
    port = urlsplit(tls_ingest.url).port
    assert [line.rsplit(" ", 1)[0] for line in proxy.seen] == ["CONNECT localhost:%d" % port]
    assert report_files(queue_dir) == []


def test_plain_http_goes_to_the_http_proxy_with_the_absolute_url(
    monkeypatch: pytest.MonkeyPatch, proxy: LocalProxy, ingest: IngestServer, queue_dir: str
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    client = _client(ingest.url, queue_dir)
    try:
        client.capture_exception(ValueError("via the proxy"))
        assert client.flush(5.0) is True
    finally:
        client.close(timeout=0)
    assert [r.status for r in ingest.delivered()] == [202]
    assert proxy.seen == ["POST %s/v1/crashes HTTP/1.1" % ingest.url]


def test_no_proxy_naming_the_host_goes_direct(
    monkeypatch: pytest.MonkeyPatch, proxy: LocalProxy, tls_ingest: IngestServer, queue_dir: str
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "example.com,localhost")
    client = _client(tls_ingest.url, queue_dir)
    try:
        client.capture_exception(ValueError("direct"))
        assert client.flush(5.0) is True
    finally:
        client.close(timeout=0)
    assert [r.status for r in tls_ingest.delivered()] == [202]
    assert proxy.seen == []


def test_an_untrusted_certificate_inside_the_tunnel_is_a_network_error_to_retry(
    monkeypatch: pytest.MonkeyPatch, proxy: LocalProxy, queue_dir: Any
) -> None:
    server = IngestServer(PRODUCT_KEY, SECRET, tls=(CERT, KEY)).start()
    try:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        transport = Transport(server.url, PRODUCT_KEY, SECRET, 5.0, 8192)
        result = transport.send(_entry())
        assert result.outcome == RETRY
        assert server.received == []
        assert len(proxy.seen) == 1
        # Trusted once the certificate is: the same transport delivers.
        monkeypatch.setenv("SSL_CERT_FILE", CERT)
        assert transport.send(_entry()).outcome == DELIVERED
    finally:
        server.stop()
