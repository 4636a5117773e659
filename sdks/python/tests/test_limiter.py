"""The client-side limiter: per local fingerprint, per window, kept across restarts."""

import json
import logging
import os
import time
from typing import Any, Callable, List

from conftest import report_files
from dumpcatcher import Client, RetryPolicy
from dumpcatcher.limiter import Limiter, local_fingerprint

PARKED = RetryPolicy(base=60, cap=60, max_attempts=1)  # keep reports queued to count them


def crash_at_same_place() -> None:
    raise KeyError("same place")


def crash_elsewhere() -> None:
    raise KeyError("elsewhere")


def capture_from(client: Client, where: Callable[[], None], **kwargs: object) -> object:
    try:
        where()
    except KeyError:
        return client.capture_exception(**kwargs)  # type: ignore[arg-type]
    return None


class TestLocalFingerprint:
    def test_digits_do_not_change_the_fingerprint(self) -> None:
        a = 'Traceback:\n  File "/app/x.py", line 10, in f\n  File "/app/y.py", line 3, in g\nE: 1\n'
        b = 'Traceback:\n  File "/app/x.py", line 12, in f\n  File "/app/y.py", line 4, in g\nE: 2\n'
        assert local_fingerprint("E", a) == local_fingerprint("E", b)

    def test_type_and_frames_change_the_fingerprint(self) -> None:
        a = '  File "/app/x.py", line 1, in f\n'
        assert local_fingerprint("E", a) != local_fingerprint("F", a)
        assert local_fingerprint("E", a) != local_fingerprint("E", '  File "/app/z.py", line 1, in f\n')

    def test_a_given_fingerprint_replaces_the_trace(self) -> None:
        assert local_fingerprint("E", "a", "checkout") == local_fingerprint("F", "b", "checkout")
        assert local_fingerprint("E", "a", "checkout") != local_fingerprint("E", "a", "cart")

    def test_a_trace_without_frame_lines_uses_the_lines_after_the_first(self) -> None:
        assert local_fingerprint("E", "E: x\nline 1") == local_fingerprint("E", "E: y\nline 2")
        assert local_fingerprint("E", "E: x\nalpha") != local_fingerprint("E", "E: x\nbeta")

    def test_only_the_first_five_frames_count(self) -> None:
        head = "".join('  File "/app/m%s.py", line 1, in f\n' % c for c in "abcde")
        assert local_fingerprint("E", head + '  File "/app/p.py"\n') == local_fingerprint("E", head + '  File "/app/q.py"\n')


class TestLimiterWindow:
    def test_the_budget_resets_when_the_window_rolls_over(self, tmp_path: object) -> None:
        now = [1000.0]
        limiter = Limiter(os.path.join(str(tmp_path), "limiter.json"), 2, 60, clock=lambda: now[0])
        assert [limiter.allow("fp") for _ in range(3)] == [True, True, False]
        assert limiter.allow("other")
        now[0] += 61
        assert limiter.allow("fp")

    def test_a_window_that_starts_in_the_future_is_dropped(self, tmp_path: object) -> None:
        now = [1000.0]
        limiter = Limiter(None, 1, 60, clock=lambda: now[0])
        assert limiter.allow("fp")
        now[0] -= 3600  # the clock went back an hour
        assert limiter.allow("fp")

    def test_reads_the_node_sdk_state_format(self, tmp_path: object) -> None:
        path = os.path.join(str(tmp_path), "limiter.json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"v": 1, "windows": {"fp": {"start": 1000 * 1000, "count": 2}}}, handle)
        limiter = Limiter(path, 2, 60, clock=lambda: 1010.0)
        assert not limiter.allow("fp")

    def test_a_damaged_state_file_starts_afresh(self, tmp_path: object) -> None:
        path = os.path.join(str(tmp_path), "limiter.json")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("{broken")
        assert Limiter(path, 1, 60).allow("fp")

    def test_the_state_file_is_shared_by_restarts(self, tmp_path: object) -> None:
        path = os.path.join(str(tmp_path), "limiter.json")
        first = Limiter(path, 1, 60)
        assert first.allow("fp")
        first.save()
        assert not Limiter(path, 1, 60).allow("fp")
        with open(path, "r", encoding="utf-8") as handle:
            state = json.load(handle)
        assert state["v"] == 1
        assert state["windows"]["fp"]["count"] == 1
        assert isinstance(state["windows"]["fp"]["start"], int)


class TestLimiterInClient:
    def test_a_crash_loop_is_cut_at_max_reports_per_fingerprint_and_says_so_once(
        self, make_client: Callable[..., Client], queue_dir: str, caplog: Any
    ) -> None:
        caplog.set_level(logging.DEBUG, logger="dumpcatcher")
        client = make_client(policy=PARKED, max_reports_per_fingerprint=3, endpoint="http://127.0.0.1:9")
        ids: List[object] = [capture_from(client, crash_at_same_place) for _ in range(5)]
        assert [i is not None for i in ids] == [True, True, True, False, False]
        assert capture_from(client, crash_elsewhere) is not None
        assert len(report_files(queue_dir)) == 4
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "dropped by the client-side limiter" in warnings[0]

    def test_the_limit_holds_across_restarts(self, make_client: Callable[..., Client], queue_dir: str) -> None:
        for _ in range(3):  # three "processes", each crashing twice
            client = make_client(policy=PARKED, max_reports_per_fingerprint=4, endpoint="http://127.0.0.1:9")
            capture_from(client, crash_at_same_place)
            capture_from(client, crash_at_same_place)
            client.close(timeout=0)
        assert len(report_files(queue_dir)) == 4
        assert os.path.exists(os.path.join(queue_dir, "limiter.json"))

    def test_handled_captures_are_saved_a_moment_later_in_one_write(
        self, make_client: Callable[..., Client], queue_dir: str
    ) -> None:
        client = make_client()
        client.limiter.save_delay = 0.2
        capture_from(client, crash_at_same_place)
        capture_from(client, crash_at_same_place)
        assert not os.path.exists(os.path.join(queue_dir, "limiter.json"))
        time.sleep(0.5)
        with open(os.path.join(queue_dir, "limiter.json"), "r", encoding="utf-8") as handle:
            state = json.load(handle)
        assert [v["count"] for v in state["windows"].values()] == [2]

    def test_a_given_fingerprint_is_limited_on_its_own(self, make_client: Callable[..., Client], queue_dir: str) -> None:
        client = make_client(policy=PARKED, max_reports_per_fingerprint=1, endpoint="http://127.0.0.1:9")
        assert capture_from(client, crash_at_same_place, fingerprint="checkout") is not None
        assert capture_from(client, crash_elsewhere, fingerprint="checkout") is None
        assert capture_from(client, crash_at_same_place) is not None

    def test_usage_reports_are_not_limited(self, make_client: Callable[..., Client], queue_dir: str) -> None:
        client = make_client(policy=PARKED, max_reports_per_fingerprint=1, endpoint="http://127.0.0.1:9")
        assert all(client.report_usage() is not None for _ in range(3))
        assert len(report_files(queue_dir)) == 3
