"""Breadcrumbs: add_breadcrumb, and the automatic ones from real logging calls and real HTTP
requests to a local server, next to the SDK's own requests to the local ingest."""

import http.client
import logging
import os
import socket
import ssl
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Iterator, List

import pytest

import dumpcatcher
from conftest import PRODUCT_KEY, SECRET
from dumpcatcher import Client
from dumpcatcher.auto_breadcrumbs import HTTP, LOGGING
from ingest_server import IngestServer
from test_proxy import CERT, KEY, LocalProxy

ORIGINAL_CALL_HANDLERS = logging.Logger.callHandlers
ORIGINAL_HTTP = {n: getattr(http.client.HTTPConnection, n) for n in ("putrequest", "endheaders", "getresponse")}


class AppServer:
    """The app's own HTTP server: /ok answers 200, /missing 404, /boom 500, with a body."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                path = self.path.split("?", 1)[0]
                status = {"/ok": 200, "/missing": 404, "/boom": 500}.get(path, 404)
                body = ("answer of %s" % path).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.host = "127.0.0.1:%d" % self.port
        self.url = "http://" + self.host
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def app_server() -> Iterator[AppServer]:
    server = AppServer()
    yield server
    server.stop()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def crash_bodies(ingest: IngestServer) -> List[Dict[str, Any]]:
    return [r.body or {} for r in ingest.delivered() if r.path == "/v1/crashes"]


@pytest.fixture
def capture_and_send(ingest: IngestServer) -> Callable[[Client], Dict[str, Any]]:
    """Capture one exception with a client, deliver it, and return the body the ingest got."""

    def run(client: Client) -> Dict[str, Any]:
        try:
            raise RuntimeError("breadcrumb test")
        except RuntimeError as error:
            report_id = client.capture_exception(error)
        assert report_id is not None
        assert client.flush(5.0)
        [body] = [b for b in crash_bodies(ingest) if b["reportId"] == report_id]
        return body

    return run


def files_with(folder: str, text: str) -> List[str]:
    found = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
            if text in f.read():
                found.append(name)
    return found


def kinds(body: Dict[str, Any], category: str) -> List[Dict[str, Any]]:
    return [{k: v for k, v in c.items() if k != "timestamp"} for c in body.get("breadcrumbs", []) if c["category"] == category]


class TestHttp:
    def test_records_the_apps_requests_with_method_host_path_and_status_never_the_sdks_own(
        self, make_client: Callable[..., Client], capture_and_send: Callable[[Client], Dict[str, Any]], ingest: IngestServer, app_server: AppServer
    ) -> None:
        c = make_client()
        first = capture_and_send(c)  # the SDK's own request to the ingest, on its sender thread
        assert kinds(first, "http") == []

        with urllib.request.urlopen(app_server.url + "/ok?token=abc&user=bob#part", timeout=5) as answer:
            assert (answer.status, answer.read()) == (200, b"answer of /ok")
        direct = http.client.HTTPConnection("127.0.0.1", app_server.port, timeout=5)
        direct.request("POST", "/missing?id=7", body=b"{}", headers={"Authorization": "Bearer abc"})
        reply = direct.getresponse()
        assert (reply.status, reply.read()) == (404, b"answer of /missing")
        direct.close()
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(app_server.url + "/boom", timeout=5)
        assert failed.value.code == 500 and failed.value.read() == b"answer of /boom"
        failed.value.close()
        refused = closed_port()
        with pytest.raises(urllib.error.URLError) as unreachable:
            urllib.request.urlopen("http://127.0.0.1:%d/down?q=1" % refused, timeout=5)
        assert isinstance(unreachable.value.reason, ConnectionRefusedError)

        second = capture_and_send(c)
        host = app_server.host
        assert kinds(second, "http") == [
            {"category": "http", "level": "info", "message": "GET %s/ok" % host,
             "data": {"method": "GET", "host": host, "path": "/ok", "status": 200}},
            {"category": "http", "level": "warning", "message": "POST %s/missing" % host,
             "data": {"method": "POST", "host": host, "path": "/missing", "status": 404}},
            {"category": "http", "level": "error", "message": "GET %s/boom" % host,
             "data": {"method": "GET", "host": host, "path": "/boom", "status": 500}},
            {"category": "http", "level": "error", "message": "GET 127.0.0.1:%d/down" % refused,
             "data": {"method": "GET", "host": "127.0.0.1:%d" % refused, "path": "/down", "error": "ConnectionRefusedError"}},
        ]
        # Two crash reports reached the ingest over http.client: neither is a breadcrumb.
        assert len(crash_bodies(ingest)) == 2
        assert all("/v1/" not in c["message"] for c in second["breadcrumbs"])

    def test_through_a_proxy_names_the_host_asked_for_never_the_proxy(
        self, make_client: Callable[..., Client], capture_and_send: Callable[[Client], Dict[str, Any]], app_server: AppServer
    ) -> None:
        proxy = LocalProxy()
        tls = IngestServer(PRODUCT_KEY, SECRET, tls=(CERT, KEY)).start()  # an HTTPS server: GET gets 405
        try:
            c = make_client()
            opener = urllib.request.build_opener(
                urllib.request.ProxyHandler({"http": proxy.url, "https": proxy.url}),
                urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=CERT)),
            )
            with opener.open(app_server.url + "/ok?via=proxy", timeout=5) as answer:  # absolute form
                assert answer.read() == b"answer of /ok"
            with pytest.raises(urllib.error.HTTPError) as refused:  # a CONNECT tunnel
                opener.open(tls.url + "/v2/things?id=1", timeout=5)
            assert refused.value.code == 405
            refused.value.close()
            tls_host = tls.url[len("https://") :]
            assert proxy.seen == ["GET %s/ok?via=proxy HTTP/1.1" % app_server.url, "CONNECT %s HTTP/1.0" % tls_host]
            assert kinds(capture_and_send(c), "http") == [
                {"category": "http", "level": "info", "message": "GET %s/ok" % app_server.host,
                 "data": {"method": "GET", "host": app_server.host, "path": "/ok", "status": 200}},
                {"category": "http", "level": "warning", "message": "GET %s/v2/things" % tls_host,
                 "data": {"method": "GET", "host": tls_host, "path": "/v2/things", "status": 405}},
            ]
        finally:
            proxy.stop()
            tls.stop()

    def test_turned_off_by_its_kind_leaves_http_client_untouched_and_logging_on(
        self, make_client: Callable[..., Client], capture_and_send: Callable[[Client], Dict[str, Any]], app_server: AppServer
    ) -> None:
        c = make_client(auto_breadcrumbs={"http": False})
        assert {n: getattr(http.client.HTTPConnection, n) for n in ORIGINAL_HTTP} == ORIGINAL_HTTP
        with urllib.request.urlopen(app_server.url + "/ok", timeout=5) as answer:
            answer.read()
        logging.getLogger("shop").warning("still recorded")
        body = capture_and_send(c)
        assert kinds(body, "http") == []
        assert [b["message"] for b in kinds(body, "log")] == ["still recorded"]


@pytest.fixture
def shop_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("shop.checkout")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    yield logger
    logger.setLevel(level)
    logger.propagate = propagate


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append("%s %s" % (record.levelname, record.getMessage()))


class TestLogging:
    def test_records_info_and_above_of_any_logger_with_its_name_and_level(
        self, make_client: Callable[..., Client], capture_and_send: Callable[[Client], Dict[str, Any]], shop_logger: logging.Logger
    ) -> None:
        c = make_client()
        handler = ListHandler()
        shop_logger.addHandler(handler)
        shop_logger.propagate = False  # recorded even when the record never reaches the root
        try:
            shop_logger.debug("not recorded")
            shop_logger.info("cart %s opened for %s", 3, "alice@example.com")
            shop_logger.warning("slow")
            shop_logger.error("failed")
            shop_logger.critical("down")
        finally:
            shop_logger.removeHandler(handler)
        # The app's own handler saw every record, unchanged.
        assert handler.lines == ["DEBUG not recorded", "INFO cart 3 opened for alice@example.com", "WARNING slow", "ERROR failed", "CRITICAL down"]
        body = capture_and_send(c)
        data = {"logger": "shop.checkout"}
        assert kinds(body, "log") == [
            {"category": "log", "level": "info", "message": "cart 3 opened for <email>", "data": data},
            {"category": "log", "level": "warning", "message": "slow", "data": data},
            {"category": "log", "level": "error", "message": "failed", "data": data},
            {"category": "log", "level": "fatal", "message": "down", "data": data},
        ]

    def test_never_records_the_sdks_own_logger(self, make_client: Callable[..., Client], capture_and_send: Callable[[Client], Dict[str, Any]], caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG, logger="dumpcatcher")
        c = make_client()
        dumpcatcher.log.notice("limiter", "a notice of the SDK itself")
        logging.getLogger("dumpcatcher.child").warning("a child of the SDK's logger")
        assert "a notice of the SDK itself" in caplog.text
        body = capture_and_send(c)
        assert kinds(body, "log") == []

    def test_a_record_that_cannot_format_is_left_to_the_apps_handlers(
        self, make_client: Callable[..., Client], capture_and_send: Callable[[Client], Dict[str, Any]], shop_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
    ) -> None:
        c = make_client()
        handler = logging.StreamHandler()
        shop_logger.addHandler(handler)
        shop_logger.propagate = False  # pytest's own handler on the root raises on such records
        try:
            shop_logger.info("%d items", "not a number")  # logging reports it on stderr, as always
        finally:
            shop_logger.removeHandler(handler)
        assert "--- Logging error ---" in capsys.readouterr().err
        assert kinds(capture_and_send(c), "log") == []


class TestInstallation:
    def test_all_off_patches_nothing_and_close_restores_what_was_there(self, make_client: Callable[..., Client], capture_and_send: Callable[[Client], Dict[str, Any]]) -> None:
        off = make_client(auto_breadcrumbs=False)
        assert logging.Logger.callHandlers is ORIGINAL_CALL_HANDLERS
        assert {n: getattr(http.client.HTTPConnection, n) for n in ORIGINAL_HTTP} == ORIGINAL_HTTP
        off.close(timeout=0)
        on = make_client()
        assert logging.Logger.callHandlers is not ORIGINAL_CALL_HANDLERS
        assert http.client.HTTPConnection.getresponse is not ORIGINAL_HTTP["getresponse"]
        on.close(timeout=0)
        assert logging.Logger.callHandlers is ORIGINAL_CALL_HANDLERS
        assert {n: getattr(http.client.HTTPConnection, n) for n in ORIGINAL_HTTP} == ORIGINAL_HTTP
        assert LOGGING.sink is None and HTTP.sink is None

    def test_max_breadcrumbs_zero_installs_nothing(self, make_client: Callable[..., Client], capture_and_send: Callable[[Client], Dict[str, Any]]) -> None:
        make_client(max_breadcrumbs=0)
        assert logging.Logger.callHandlers is ORIGINAL_CALL_HANDLERS
        assert http.client.HTTPConnection.putrequest is ORIGINAL_HTTP["putrequest"]

    def test_a_patch_wrapped_by_someone_else_stays_in_place_and_goes_quiet(
        self, make_client: Callable[..., Client], capture_and_send: Callable[[Client], Dict[str, Any]], shop_logger: logging.Logger
    ) -> None:
        c = make_client()
        ours = logging.Logger.callHandlers
        seen: List[str] = []

        def theirs(logger: logging.Logger, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())
            ours(logger, record)

        logging.Logger.callHandlers = theirs  # type: ignore[method-assign]
        try:
            c.close(timeout=0)
            assert logging.Logger.callHandlers is theirs
            shop_logger.info("after close")
            assert seen == ["after close"]
            assert c.breadcrumbs.snapshot() == []
            # A new client takes the wrapper still in the chain: one breadcrumb per record, not two.
            again = make_client()
            assert logging.Logger.callHandlers is theirs
            shop_logger.info("once")
            assert [b["message"] for b in again.breadcrumbs.snapshot()] == ["once"]
            again.close(timeout=0)
        finally:
            logging.Logger.callHandlers = ORIGINAL_CALL_HANDLERS  # type: ignore[method-assign]
        # The library put the original back: the next client wraps it afresh.
        last = make_client()
        assert logging.Logger.callHandlers is not ORIGINAL_CALL_HANDLERS
        shop_logger.info("wrapped again")
        assert [b["message"] for b in last.breadcrumbs.snapshot()] == ["wrapped again"]


class TestAddBreadcrumb:
    def test_is_a_no_op_before_init_and_never_raises(self) -> None:
        dumpcatcher.add_breadcrumb("cart", "before init")
        assert dumpcatcher.get_client() is None

    def test_an_argument_of_the_wrong_type_is_left_out_with_a_debug_line(self, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG, logger="dumpcatcher")
        sent: List[Dict[str, Any]] = []
        dumpcatcher.init(
            endpoint="http://127.0.0.1:9", product_key=PRODUCT_KEY, secret=SECRET, app_name="a", app_version="1",
            debug=True, capture_uncaught=False, auto_breadcrumbs=False, before_send=lambda r: sent.append(r),
        )
        dumpcatcher.add_breadcrumb("cart", object(), "warning")  # type: ignore[arg-type]
        dumpcatcher.add_breadcrumb(7, "seven", ["not", "a", "level"], ["not", "a", "mapping"])  # type: ignore[arg-type]
        assert dumpcatcher.capture_exception(ValueError("x")) is None  # before_send dropped it
        [report] = sent
        assert [{k: v for k, v in c.items() if k != "timestamp"} for c in report["breadcrumbs"]] == [
            {"category": "cart", "level": "warning"},
            {"category": "default", "message": "seven", "level": "info"},
        ]
        ignored = [(r.levelno, r.getMessage()) for r in caplog.records if r.getMessage().startswith("add_breadcrumb:")]
        assert ignored == [
            (logging.DEBUG, "add_breadcrumb: message ignored, it is not a string"),
            (logging.DEBUG, "add_breadcrumb: category ignored, it is not a string"),
            (logging.DEBUG, "add_breadcrumb: data ignored, it is not a mapping"),
        ]

    def test_threads_adding_at_once_leave_a_full_ring_of_whole_breadcrumbs(self, make_client: Callable[..., Client], capture_and_send: Callable[[Client], Dict[str, Any]]) -> None:
        c = make_client(auto_breadcrumbs=False, max_breadcrumbs=50)

        def add(n: int) -> None:
            for i in range(500):
                c.add_breadcrumb("t%d" % n, "m%d" % i)

        threads = [threading.Thread(target=add, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        snapshots = [c.breadcrumbs.snapshot() for _ in range(50)]  # read while they write
        for t in threads:
            t.join()
        assert all(len(s) <= 50 for s in snapshots)
        final = c.breadcrumbs.snapshot()
        assert len(final) == 50
        assert sum(1 for b in final if b["message"] == "m499") == len({b["category"] for b in final if b["message"] == "m499"})

    def test_breadcrumbs_reach_disk_only_inside_their_crash_report(
        self, make_client: Callable[..., Client], capture_and_send: Callable[[Client], Dict[str, Any]], ingest: IngestServer, queue_dir: str
    ) -> None:
        ingest.script = [(503, {"Retry-After": "60"})] * 10  # the reports stay queued
        c = make_client(auto_breadcrumbs=False, auto_session_tracking=True)
        c.add_breadcrumb("cart", "only-in-the-crash-report")
        c.report_usage()
        c.start_session()
        assert len(os.listdir(queue_dir)) >= 4  # install-id, the usage report, the marker and its lock
        assert files_with(queue_dir, "only-in-the-crash-report") == []
        c.capture_exception(ValueError("now"))
        [crash] = files_with(queue_dir, "only-in-the-crash-report")
        with open(os.path.join(queue_dir, crash), encoding="utf-8") as f:
            assert '"path":"/v1/crashes"' in f.read().replace(" ", "")
