"""Uncaught exceptions: sys.excepthook and threading.excepthook, chained and restored."""

import sys
import threading
from typing import Any, Callable, List

from conftest import report_files
from dumpcatcher import Client, RetryPolicy

PARKED = RetryPolicy(base=60, cap=60, max_attempts=1)


class TestThreadingExcepthook:
    def test_a_crashing_thread_is_reported_and_the_previous_hook_still_runs(
        self, make_client: Callable[..., Client], queue_dir: str
    ) -> None:
        seen: List[Any] = []
        threading.excepthook = lambda args: seen.append(args.exc_value)
        make_client(capture_uncaught=True, policy=PARKED, endpoint="http://127.0.0.1:9")

        def work() -> None:
            raise LookupError("thread died")

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        assert len(seen) == 1 and isinstance(seen[0], LookupError)
        [name] = report_files(queue_dir)
        with open("%s/%s" % (queue_dir, name), encoding="utf-8") as handle:
            text = handle.read()
        assert "thread died" in text and "LookupError" in text and "in work" in text

    def test_close_restores_the_previous_hooks(self, make_client: Callable[..., Client]) -> None:
        def previous_thread_hook(args: Any) -> None:
            pass

        def previous_sys_hook(*args: Any) -> None:
            pass

        threading.excepthook = previous_thread_hook
        sys.excepthook = previous_sys_hook
        client = make_client(capture_uncaught=True)
        assert threading.excepthook is not previous_thread_hook
        assert sys.excepthook is not previous_sys_hook
        client.close(timeout=0)
        assert threading.excepthook is previous_thread_hook
        assert sys.excepthook is previous_sys_hook

    def test_keyboard_interrupt_is_not_a_crash(self, make_client: Callable[..., Client], queue_dir: str) -> None:
        calls: List[Any] = []
        sys.excepthook = lambda *args: calls.append(args)
        make_client(capture_uncaught=True, policy=PARKED, endpoint="http://127.0.0.1:9")
        sys.excepthook(KeyboardInterrupt, KeyboardInterrupt(), None)
        assert len(calls) == 1
        assert report_files(queue_dir) == []


class TestSysExcepthook:
    def test_the_hook_writes_the_report_synchronously_then_chains(
        self, make_client: Callable[..., Client], queue_dir: str
    ) -> None:
        calls: List[Any] = []

        def previous(exc_type: Any, exc: Any, tb: Any) -> None:
            calls.append((exc_type, report_files(queue_dir)))  # the file is already there

        sys.excepthook = previous
        make_client(capture_uncaught=True, policy=PARKED, endpoint="http://127.0.0.1:9")
        try:
            raise OSError("disk on fire")
        except OSError as error:
            sys.excepthook(type(error), error, error.__traceback__)
        [(exc_type, files_seen)] = calls
        assert exc_type is OSError
        assert len(files_seen) == 1

    def test_without_capture_uncaught_no_hook_is_installed(self, make_client: Callable[..., Client]) -> None:
        before = sys.excepthook, threading.excepthook
        make_client(capture_uncaught=False)
        assert (sys.excepthook, threading.excepthook) == before
