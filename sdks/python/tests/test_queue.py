"""The disk queue: atomic files, bounds (count, bytes, age), leftovers, broken files."""

import logging
import os
import time
import uuid
from typing import Any, Callable, List

import pytest

from dumpcatcher import Client, RetryPolicy
from dumpcatcher.disk_queue import Queue


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_queue(tmp_path: object, clock: FakeClock) -> Callable[..., Queue]:
    def build(max_files: int = 100, max_bytes: int = 10 << 20, max_age: float = 3600) -> Queue:
        queue = Queue(str(tmp_path), max_files, max_bytes, max_age, clock=clock)
        queue.ensure_dir()
        return queue

    return build


def fill(queue: Queue, clock: FakeClock, count: int, size: int = 10) -> List[str]:
    names = []
    for counter in range(1, count + 1):
        clock.now += 1
        names.append(queue.write("/v1/crashes", "client_abc_1", counter, {"reportId": str(uuid.uuid4()), "pad": "p" * size}))
    return names


class TestQueueBounds:
    def test_beyond_max_files_the_oldest_are_dropped(self, make_queue: Callable[..., Queue], clock: FakeClock) -> None:
        queue = make_queue(max_files=3)
        names = fill(queue, clock, 5)
        assert queue.names() == names[2:]

    def test_beyond_max_bytes_the_oldest_are_dropped(self, make_queue: Callable[..., Queue], clock: FakeClock) -> None:
        queue = make_queue(max_bytes=2500)
        names = fill(queue, clock, 4, size=1000)
        assert queue.names() == names[2:]
        total = sum(os.path.getsize(os.path.join(queue.directory, n)) for n in queue.names())
        assert total <= 2500

    def test_reports_older_than_max_age_are_dropped_unsent(self, make_queue: Callable[..., Queue], clock: FakeClock) -> None:
        queue = make_queue(max_age=60)
        first = fill(queue, clock, 2)
        clock.now += 58.5
        assert queue.prune() == []
        assert queue.names() == first
        clock.now += 1
        assert queue.prune() == first[:1]
        assert queue.names() == first[1:]

    def test_names_are_sorted_oldest_first_across_clients(self, make_queue: Callable[..., Queue], clock: FakeClock) -> None:
        queue = make_queue()
        clock.now += 1
        b = queue.write("/v1/usage", "zzzzzzzz_client", 9, {"reportId": "b"})
        clock.now += 1
        a = queue.write("/v1/usage", "aaaaaaaa_client", 1, {"reportId": "a"})
        assert queue.names() == [b, a]


class TestQueueFiles:
    def test_leftover_tmp_files_are_removed(self, make_queue: Callable[..., Queue], clock: FakeClock) -> None:
        queue = make_queue()
        stale = os.path.join(queue.directory, "1-client_abc_1-1.json.tmp")
        with open(stale, "w") as handle:
            handle.write("{half")
        os.utime(stale, (clock.now - 3600, clock.now - 3600))
        queue.prune()
        assert not os.path.exists(stale)

    def test_a_file_that_cannot_be_parsed_is_deleted(self, make_queue: Callable[..., Queue], clock: FakeClock) -> None:
        queue = make_queue()
        [good] = fill(queue, clock, 1)
        broken = os.path.join(queue.directory, "%d-client_abc_1-2.json" % int(clock.now * 1000))
        with open(broken, "w") as handle:
            handle.write("{not json")
        assert queue.load(os.path.basename(broken)) is None
        assert not os.path.exists(broken)
        entry = queue.load(good)
        assert entry is not None and entry.counter == 1 and entry.client_id == "client_abc_1"

    def test_a_record_with_a_bad_counter_is_deleted(self, make_queue: Callable[..., Queue], clock: FakeClock) -> None:
        queue = make_queue()
        name = queue.write("/v1/crashes", "client_abc_1", 1, {"reportId": "x"})
        path = os.path.join(queue.directory, name)
        with open(path, "w") as handle:
            handle.write('{"v":1,"path":"/v1/crashes","clientId":"client_abc_1","counter":0,"createdAt":"x","body":{}}')
        assert queue.load(name) is None
        assert queue.names() == []

    def test_other_files_in_the_folder_are_left_alone(self, make_queue: Callable[..., Queue], clock: FakeClock) -> None:
        queue = make_queue(max_files=1)
        for other in ("limiter.json", "install-id", "notes.txt"):
            with open(os.path.join(queue.directory, other), "w") as handle:
                handle.write("{}")
        fill(queue, clock, 3)
        assert sorted(os.listdir(queue.directory))[:3] != []
        assert {"limiter.json", "install-id", "notes.txt"} <= set(os.listdir(queue.directory))
        assert len(queue.names()) == 1


def test_rfc3339_has_milliseconds_and_z() -> None:
    from dumpcatcher.disk_queue import rfc3339

    assert rfc3339(0) == "1970-01-01T00:00:00.000Z"
    assert rfc3339(1763798400.25) == "2025-11-22T08:00:00.250Z"
    assert time.time() > 0


def test_a_full_queue_says_it_dropped_unsent_reports_once_and_flush_says_false(
    make_client: Callable[..., Client], caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG, logger="dumpcatcher")
    parked = RetryPolicy(base=60, cap=60, max_attempts=1)
    client = make_client(policy=parked, max_queue_files=2, endpoint="http://127.0.0.1:9")
    for i in range(5):
        client.capture_exception(ValueError("report %d" % i))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "queue full: 1 unsent report(s) dropped (max_queue_files, max_queue_bytes or max_queue_age_seconds)"
    ]
    assert client.flush(0.2) is False
