"""The module-level API: no-ops before init and after close, report content, never raising."""

import os
import re
from typing import Any, Callable, Dict, Optional

import pytest

import dumpcatcher
from conftest import PRODUCT_KEY, SECRET, report_files
from dumpcatcher import Client
from ingest_server import IngestServer


@pytest.fixture
def options(ingest: IngestServer, queue_dir: str) -> Dict[str, Any]:
    return dict(
        endpoint=ingest.url,
        product_key=PRODUCT_KEY,
        secret=SECRET,
        app_name="api-tests",
        app_version="3.0.0",
        queue_dir=queue_dir,
        capture_uncaught=False,
        auto_session_tracking=False,
    )


class CustomError(Exception):
    class Inner(Exception):
        pass


class TestNoOps:
    def test_calls_before_init_do_nothing(self, ingest: IngestServer) -> None:
        dumpcatcher.close()
        try:
            raise ValueError("too early")
        except ValueError:
            assert dumpcatcher.capture_exception() is None
        assert dumpcatcher.report_usage() is None
        assert dumpcatcher.flush(0.1) is True
        dumpcatcher.close()
        assert ingest.received == []

    def test_calls_after_close_do_nothing(self, options: Dict[str, Any], ingest: IngestServer, queue_dir: str) -> None:
        dumpcatcher.init(**options)
        dumpcatcher.close()
        try:
            raise ValueError("too late")
        except ValueError:
            assert dumpcatcher.capture_exception() is None
        assert dumpcatcher.report_usage() is None
        assert report_files(queue_dir) == []
        assert ingest.received == []

    def test_capture_without_an_exception_does_nothing(self, options: Dict[str, Any], queue_dir: str) -> None:
        dumpcatcher.init(**options)
        assert dumpcatcher.capture_exception() is None
        assert report_files(queue_dir) == []

    @pytest.mark.parametrize(
        "broken",
        [{"product_key": "short"}, {"endpoint": "ftp://x"}, {"sample_rate": 2}, {"no_such_option": 1}, {"secret": ""}],
        ids=["bad product key", "bad endpoint", "bad sample rate", "unknown option", "empty secret"],
    )
    def test_invalid_options_leave_the_sdk_off_without_raising(
        self, broken: Dict[str, Any], options: Dict[str, Any], queue_dir: str
    ) -> None:
        options.update(broken)
        dumpcatcher.init(**options)
        assert dumpcatcher.get_client() is None
        assert not os.path.exists(queue_dir)

    def test_an_unusable_queue_folder_leaves_the_sdk_off(self, options: Dict[str, Any], tmp_path: Any) -> None:
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder")
        options["queue_dir"] = str(blocker / "queue")
        dumpcatcher.init(**options)
        assert dumpcatcher.get_client() is None


class TestCaptureContent:
    def test_chained_exceptions_keep_both_sections(self, options: Dict[str, Any], ingest: IngestServer) -> None:
        dumpcatcher.init(**options)
        try:
            try:
                {}["missing"]
            except KeyError:
                raise CustomError.Inner("while handling")
        except CustomError.Inner as error:
            dumpcatcher.capture_exception(error, label="checkout", tags={"region": "eu", "bad key!": "x"}, extra={"cart": {"items": 2, "obj": object()}})
        assert dumpcatcher.flush(5)
        body = ingest.delivered()[0].body or {}
        trace = body["exception"]["stacktrace"]
        assert "During handling of the above exception, another exception occurred" in trace
        assert "KeyError: 'missing'" in trace
        assert body["exception"]["type"] == "test_api.CustomError.Inner"
        assert body["label"] == "checkout"
        assert body["tags"] == {"region": "eu"}
        assert body["extra"]["cart"]["items"] == 2
        assert body["extra"]["cart"]["obj"].startswith("<object object at")

    def test_default_label_and_tags_merge_under_capture_tags(self, options: Dict[str, Any], ingest: IngestServer) -> None:
        dumpcatcher.init(label="default-label", tags={"env": "prod", "tier": "free"}, **options)
        try:
            raise ValueError("x")
        except ValueError:
            dumpcatcher.capture_exception(tags={"tier": "pro"})
        assert dumpcatcher.flush(5)
        body = ingest.delivered()[0].body or {}
        assert body["label"] == "default-label"
        assert body["tags"] == {"env": "prod", "tier": "pro"}
        assert "fingerprint" not in body
        client = dumpcatcher.get_client()
        assert client is not None and body["installId"] == client.install_id  # on by default

    def test_install_id_is_kept_across_starts(self, options: Dict[str, Any], queue_dir: str) -> None:
        dumpcatcher.init(install_id=True, **options)
        first = dumpcatcher.get_client()
        assert first is not None and first.install_id is not None
        assert re.match(r"^[A-Za-z0-9_-]{22}$", first.install_id)
        dumpcatcher.init(install_id=True, **options)
        second = dumpcatcher.get_client()
        assert second is not None and second.install_id == first.install_id
        assert second.client_id != first.client_id
        with open(os.path.join(queue_dir, "install-id"), encoding="ascii") as handle:
            assert handle.read() == first.install_id


class TestBeforeSend:
    def test_before_send_sees_the_scrubbed_report_and_can_edit_it(self, options: Dict[str, Any], ingest: IngestServer) -> None:
        seen = []

        def before_send(report: Dict[str, Any]) -> Optional[Dict[str, Any]]:
            seen.append(report["exception"]["message"])
            report["tags"] = {"edited": "yes"}
            return report

        dumpcatcher.init(before_send=before_send, **options)
        try:
            raise ValueError("mail erin@example.net")
        except ValueError:
            assert dumpcatcher.capture_exception() is not None
        assert dumpcatcher.report_usage() is not None  # usage reports are not passed to it
        assert dumpcatcher.flush(5)
        assert seen == ["mail <email>"]
        crash = [r for r in ingest.delivered() if r.path == "/v1/crashes"]
        assert (crash[0].body or {})["tags"] == {"edited": "yes"}
        assert len(ingest.delivered()) == 2

    @pytest.mark.parametrize("hook", [lambda r: None, lambda r: 1 / 0], ids=["returns None", "raises"])
    def test_before_send_can_drop_and_never_raises_into_the_app(
        self, hook: Callable[[Dict[str, Any]], Any], options: Dict[str, Any], queue_dir: str
    ) -> None:
        dumpcatcher.init(before_send=hook, **options)
        try:
            raise ValueError("dropped")
        except ValueError:
            assert dumpcatcher.capture_exception() is None
        assert report_files(queue_dir) == []


def test_the_sdk_swallows_its_own_errors(options: Dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    dumpcatcher.init(**options)
    client = dumpcatcher.get_client()
    assert isinstance(client, Client)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(client.queue, "write", broken)
    try:
        raise ValueError("app error")
    except ValueError:
        assert dumpcatcher.capture_exception() is None


def test_a_forked_child_reports_under_its_own_client_id(options: Dict[str, Any], queue_dir: str) -> None:
    options["endpoint"] = "http://127.0.0.1:9"  # nothing listens: the file stays for inspection
    options["shutdown_timeout"] = 0.1
    dumpcatcher.init(**options)
    parent = dumpcatcher.get_client()
    assert parent is not None
    pid = os.fork()
    if pid == 0:  # the child: capture, then leave without running pytest's teardown
        code = 1
        try:
            try:
                raise ValueError("in the child")
            except ValueError:
                code = 0 if dumpcatcher.capture_exception() else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    [name] = report_files(queue_dir)
    assert parent.client_id not in name
    assert name.endswith("-1.json")
