"""Delivery against a real local HTTP server: write-before-send, retries, answers, gzip."""

import json
import logging
import os
import time
import uuid
from typing import Any, Callable, Dict, List

import pytest

from conftest import PRODUCT_KEY, SECRET, report_files
from dumpcatcher import Client, RetryPolicy
from dumpcatcher.disk_queue import Queue
from ingest_server import IngestServer


def boom(message: str = "kaput") -> None:
    raise ValueError(message)


def capture(client: Client, message: str = "kaput", **kwargs: object) -> str:
    try:
        boom(message)
    except ValueError:
        report_id = client.capture_exception(**kwargs)  # type: ignore[arg-type]
    assert report_id is not None
    return report_id


class TestWriteBeforeSend:
    def test_the_queue_file_exists_when_the_request_arrives(
        self, make_client: Callable[..., Client], ingest: IngestServer, queue_dir: str
    ) -> None:
        ingest.watch_dir = queue_dir
        client = make_client()
        capture(client)
        [request] = ingest.wait_for(1)
        name = "%s-%d.json" % (client.client_id, 1)
        assert [n for n in request.queue_files_at_arrival if n.endswith(name)], request.queue_files_at_arrival
        assert client.flush(5)
        assert report_files(queue_dir) == []

    def test_the_queue_file_holds_the_documented_record(
        self, make_client: Callable[..., Client], ingest: IngestServer, queue_dir: str
    ) -> None:
        ingest.script = [(500, {})] * 50  # keep it queued
        client = make_client(policy=RetryPolicy(base=5, cap=5, max_attempts=1))
        report_id = capture(client)
        [name] = report_files(queue_dir)
        created_ms, rest = name.split("-", 1)
        assert rest == "%s-1.json" % client.client_id
        assert abs(int(created_ms) / 1000 - time.time()) < 30
        with open(os.path.join(queue_dir, name), "r", encoding="utf-8") as handle:
            record = json.load(handle)
        assert record["v"] == 1
        assert record["path"] == "/v1/crashes"
        assert record["clientId"] == client.client_id
        assert record["counter"] == 1
        assert record["createdAt"].endswith("Z")
        assert record["body"]["reportId"] == report_id
        assert SECRET not in json.dumps(record)
        assert not [n for n in os.listdir(queue_dir) if n.endswith(".tmp")]


class TestOtherProcessesFiles:
    def test_between_init_and_flush_only_own_reports_are_sent(
        self, make_client: Callable[..., Client], ingest: IngestServer, queue_dir: str
    ) -> None:
        client = make_client()
        assert client.flush(5)  # the init sweep is over
        Queue(queue_dir, 100, 10 << 20, 3600).write("/v1/usage", "live_sibling_1", 1, {"reportId": str(uuid.uuid4())})
        capture(client)
        ingest.wait_for(1)
        time.sleep(0.3)
        assert [r.client_id for r in ingest.received] == [client.client_id]
        assert len(report_files(queue_dir)) == 1  # the sibling's report waits for its owner or a flush
        assert client.flush(5)
        assert [r.client_id for r in ingest.received] == [client.client_id, "live_sibling_1"]


class TestDurability:
    def test_only_the_uncaught_hook_pays_for_fsync(
        self, make_client: Callable[..., Client], queue_dir: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        synced: List[int] = []
        real_fsync = os.fsync
        monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
        client = make_client(policy=RetryPolicy(base=60, cap=60, max_attempts=1), endpoint="http://127.0.0.1:9")
        capture(client)
        client.report_usage()
        assert synced == []
        try:
            boom("uncaught")
        except ValueError as error:
            client._capture_uncaught(error)
        assert len(synced) == 1
        assert len(report_files(queue_dir)) == 3


class TestAnswers:
    def test_202_deletes_the_file_and_the_body_is_the_report(
        self, make_client: Callable[..., Client], ingest: IngestServer, queue_dir: str
    ) -> None:
        client = make_client()
        report_id = capture(client, "bad value")
        assert client.flush(5)
        [request] = ingest.delivered()
        assert request.status == 202
        assert request.path == "/v1/crashes"
        assert request.headers["X-Dumpcatcher-Key"] == PRODUCT_KEY
        assert request.headers["Content-Type"] == "application/json"
        body = request.body or {}
        assert body["reportId"] == report_id
        assert str(uuid.UUID(report_id)) == report_id and uuid.UUID(report_id).version == 4
        assert body["exception"]["type"] == "ValueError"
        assert body["exception"]["message"] == "bad value"
        assert "in boom" in body["exception"]["stacktrace"]
        assert body["app"] == {"name": "sdk-tests", "version": "1.2.3"}
        assert body["runtime"]["name"] == "python"
        assert set(body["os"]) == {"name", "version", "arch"}
        assert report_files(queue_dir) == []

    def test_counters_go_up_by_one_per_report_under_one_client_id(
        self, make_client: Callable[..., Client], ingest: IngestServer
    ) -> None:
        client = make_client()
        capture(client, "one")
        capture(client, "two", fingerprint="other")
        assert client.flush(5)
        requests = ingest.delivered()
        assert sorted(r.counter for r in requests) == [1, 2]
        assert {r.client_id for r in requests} == {client.client_id}
        assert len(client.client_id) == 22

    def test_200_duplicate_counts_as_delivered(
        self, make_client: Callable[..., Client], ingest: IngestServer, queue_dir: str
    ) -> None:
        os.makedirs(queue_dir)
        body = {"reportId": str(uuid.uuid4()), "occurredAt": "2026-11-22T08:00:00.000Z"}
        Queue(queue_dir, 100, 10 << 20, 3600).write("/v1/crashes", "earlier_run_01", 7, body)
        ingest.stored[("earlier_run_01", "7")] = body["reportId"]  # stored, but the answer was lost
        client = make_client()
        assert client.flush(5)
        [request] = ingest.received
        assert request.status == 200
        assert report_files(queue_dir) == []

    @pytest.mark.parametrize(
        "status, headers",
        [(400, {}), (409, {}), (413, {}), (415, {})],
        ids=["400 invalid body", "409 counter reused", "413 too large", "415 encoding"],
    )
    def test_a_permanent_refusal_drops_the_report_without_retrying(
        self,
        status: int,
        headers: Dict[str, str],
        make_client: Callable[..., Client],
        ingest: IngestServer,
        queue_dir: str,
    ) -> None:
        ingest.script = [(status, headers)]
        client = make_client()
        capture(client)
        # flush() tells the truth: a report was refused, not stored.
        assert client.flush(5) is False
        time.sleep(0.2)
        assert [(r.status, r.path) for r in ingest.received] == [(status, "/v1/crashes")]
        assert report_files(queue_dir) == []
        # Nothing refused since: the next flush is True again.
        assert client.flush(1) is True

    def test_a_404_asks_whether_the_endpoint_is_the_ingest_once_and_flush_says_false(
        self, make_client: Callable[..., Client], ingest: IngestServer, caplog: Any
    ) -> None:
        caplog.set_level(logging.DEBUG, logger="dumpcatcher")
        ingest.script = [(404, {}), (404, {})]
        client = make_client()
        capture(client)
        capture(client)
        assert client.flush(5) is False
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert warnings == ["a report was dropped: the endpoint answered HTTP 404; is this the ingest URL?"]

    def test_a_redirect_is_not_followed_and_the_report_is_kept_for_a_retry(
        self, make_client: Callable[..., Client], ingest: IngestServer, queue_dir: str
    ) -> None:
        ingest.script = [(307, {"Location": "/v1/elsewhere"})]
        client = make_client()
        capture(client)
        assert client.flush(5)
        assert [(r.status, r.path) for r in ingest.received] == [(307, "/v1/crashes"), (202, "/v1/crashes")]
        assert report_files(queue_dir) == []


class TestRetries:
    def test_500_then_recover_keeps_client_id_counter_and_body(
        self, make_client: Callable[..., Client], ingest: IngestServer, queue_dir: str
    ) -> None:
        ingest.script = [(500, {}), (503, {})]
        client = make_client()
        report_id = capture(client)
        assert client.flush(5)
        requests = ingest.received
        assert [r.status for r in requests] == [500, 503, 202]
        assert {r.client_id for r in requests} == {client.client_id}
        assert {r.counter for r in requests} == {1}
        assert {r.raw for r in requests} == {requests[0].raw}
        assert (requests[-1].body or {})["reportId"] == report_id
        assert report_files(queue_dir) == []

    def test_429_retry_after_is_honoured_and_the_retry_is_signed_afresh(
        self, make_client: Callable[..., Client], ingest: IngestServer
    ) -> None:
        ingest.script = [(429, {"Retry-After": "1"})]
        client = make_client()
        capture(client)
        assert client.flush(5)
        first, second = ingest.received
        assert (first.status, second.status) == (429, 202)
        assert second.at - first.at >= 0.95
        assert (second.client_id, second.counter) == (first.client_id, first.counter)
        assert int(second.headers["X-Dumpcatcher-Timestamp"]) > int(first.headers["X-Dumpcatcher-Timestamp"])
        assert second.headers["X-Dumpcatcher-Signature"] != first.headers["X-Dumpcatcher-Signature"]

    def test_a_report_gets_at_most_max_attempts_in_one_process(
        self, make_client: Callable[..., Client], ingest: IngestServer, queue_dir: str
    ) -> None:
        ingest.script = [(500, {})] * 20
        client = make_client(policy=RetryPolicy(base=0.01, cap=0.02, max_attempts=3))
        capture(client)
        assert client.flush(0.8) is False
        assert len(ingest.received) == 3
        assert len(report_files(queue_dir)) == 1

    def test_an_unreachable_endpoint_keeps_the_file_for_the_next_start(
        self, make_client: Callable[..., Client], ingest: IngestServer, queue_dir: str, unused_port: int
    ) -> None:
        dead = make_client(endpoint="http://127.0.0.1:%d" % unused_port)
        capture(dead)
        assert dead.flush(0.3) is False
        dead.close(timeout=0)
        [name] = report_files(queue_dir)
        later = make_client()
        assert later.flush(5)
        [request] = ingest.delivered()
        assert request.client_id == dead.client_id != later.client_id
        assert request.counter == 1
        assert name.endswith("-%s-1.json" % dead.client_id)

    def test_leftovers_are_sent_oldest_first(
        self, make_client: Callable[..., Client], ingest: IngestServer, queue_dir: str
    ) -> None:
        os.makedirs(queue_dir)
        clock = [time.time() - 100]
        queue = Queue(queue_dir, 100, 10 << 20, 3600, clock=lambda: clock[0])
        for counter in (1, 2, 3):
            clock[0] += 1
            queue.write("/v1/usage", "old_client_id", counter, {"reportId": str(uuid.uuid4())})
        client = make_client()
        assert client.flush(5)
        assert [r.counter for r in ingest.received] == [1, 2, 3]
        assert [r.path for r in ingest.received] == ["/v1/usage"] * 3


class TestBackoffAndFlush:
    def test_flush_gives_up_at_once_when_retry_after_outlasts_the_timeout(
        self, make_client: Callable[..., Client], ingest: IngestServer, queue_dir: str
    ) -> None:
        ingest.script = [(429, {"Retry-After": "60"})]
        client = make_client()
        capture(client)
        ingest.wait_for(1)
        started = time.monotonic()
        assert client.flush(5) is False
        assert time.monotonic() - started < 1.0
        assert len(ingest.received) == 1
        assert len(report_files(queue_dir)) == 1

    def test_a_crash_with_100_largest_breadcrumbs_and_a_big_extra_is_fitted_and_accepted(
        self, make_client: Callable[..., Client], ingest: IngestServer, caplog: Any
    ) -> None:
        caplog.set_level(logging.DEBUG, logger="dumpcatcher")
        client = make_client()
        # The largest breadcrumbs the SDK keeps, of three-byte characters: about 1.9 MB of JSON.
        for i in range(100):
            data = {("k%02d" % k).ljust(64, "k"): "\u20ac" * 256 for k in range(20)}
            client.add_breadcrumb(category="crumb-%d" % i, message="\u20ac" * 1024, data=data)
        report_id = capture(client, extra={"dump": "z" * (1100 * 1024)})
        assert client.flush(5)
        [request] = ingest.received
        assert request.status == 202  # the fake ingest, like the real one, refuses over 1 MiB with 413
        body = request.body or {}
        assert len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")) <= 1_000_000
        assert body["reportId"] == report_id
        assert "extra" not in body
        assert [c["category"] for c in body["breadcrumbs"]] == ["crumb-%d" % i for i in range(50, 100)]
        assert "kept the newest 50 of 100 breadcrumbs" in caplog.text
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


class TestAuthentication:
    def test_a_skewed_clock_is_corrected_once_from_the_date_header(
        self, make_client: Callable[..., Client], ingest: IngestServer, queue_dir: str
    ) -> None:
        ingest.clock_offset = 1000.0
        client = make_client()
        capture(client)
        assert client.flush(5)
        first, second = ingest.received
        assert (first.status, second.status) == (401, 202)
        assert (second.client_id, second.counter) == (first.client_id, first.counter)
        corrected = int(second.headers["X-Dumpcatcher-Timestamp"])
        assert abs(corrected - (time.time() + 1000)) < 10
        assert report_files(queue_dir) == []

    def test_a_wrong_secret_is_dropped_after_one_attempt_said_once_and_flush_says_false(
        self, make_client: Callable[..., Client], ingest: IngestServer, queue_dir: str, caplog: Any
    ) -> None:
        caplog.set_level(logging.DEBUG, logger="dumpcatcher")
        client = make_client(secret="not-the-right-secret")
        capture(client)
        capture(client)
        assert client.flush(5) is False
        time.sleep(0.2)
        assert [r.status for r in ingest.received] == [401, 401]
        assert report_files(queue_dir) == []
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert warnings == ["a report was dropped: the ingest answered 401, it does not know this product_key or secret"]
        assert "not-the-right-secret" not in caplog.text


class TestCompression:
    def test_bodies_over_the_threshold_are_gzipped_and_signed_as_sent(
        self, make_client: Callable[..., Client], ingest: IngestServer
    ) -> None:
        client = make_client(gzip_threshold_bytes=1024)
        capture(client, extra={"blob": "x" * 5000})
        assert client.flush(5)
        [request] = ingest.received
        assert request.status == 202
        assert request.headers["X-Dumpcatcher-Body-Encoding"] == "gzip"
        assert request.headers["Content-Type"] == "application/octet-stream"
        assert request.raw[:2] == b"\x1f\x8b"
        assert len(request.raw) < 1024
        assert (request.body or {})["extra"]["blob"] == "x" * 5000

    def test_bodies_under_the_threshold_are_sent_as_is(
        self, make_client: Callable[..., Client], ingest: IngestServer
    ) -> None:
        client = make_client()
        capture(client)
        assert client.flush(5)
        [request] = ingest.received
        assert request.headers["X-Dumpcatcher-Body-Encoding"] == "identity"
        assert json.loads(request.raw)["exception"]["type"] == "ValueError"


class TestNonBlocking:
    def test_capture_returns_before_a_slow_server_answers(
        self, make_client: Callable[..., Client], ingest: IngestServer
    ) -> None:
        ingest.delay = 1.0
        client = make_client()
        started = time.monotonic()
        capture(client)
        assert time.monotonic() - started < 0.5
        assert client.flush(5)
        assert len(ingest.delivered()) == 1


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TestRetryAfterParsing:
    @pytest.mark.parametrize(
        "value, server_now, expected",
        [
            ("7", None, 7.0),
            ("Sun, 22 Nov 2026 08:00:30 GMT", 1795334400.0, 30.0),
            ("Sun, 22 Nov 2026 07:59:00 GMT", 1795334400.0, 0.0),
            ("soon", None, None),
            ("", None, None),
            ("999999", None, 3600.0),
        ],
        ids=["seconds", "http date ahead of the server's Date", "http date in the past", "garbage", "empty", "capped at an hour"],
    )
    def test_parse(self, value: str, server_now: object, expected: object) -> None:
        from dumpcatcher.transport import parse_retry_after

        assert parse_retry_after(value, server_now, 0.0) == expected  # type: ignore[arg-type]

    def test_full_jitter_stays_under_the_exponential_ceiling_and_over_retry_after(self) -> None:
        policy = RetryPolicy()
        assert policy.delay(1, None, rand=lambda: 0.999) < 1.0
        assert policy.delay(4, None, rand=lambda: 0.999) == pytest.approx(7.992)
        assert policy.delay(30, None, rand=lambda: 1.0) == 300.0
        assert policy.delay(1, 5.0, rand=lambda: 0.5) == 5.0
