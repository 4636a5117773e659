"""Source context from real exceptions raised in real files, as the ingest receives it."""

import importlib.util
import os
import re
from types import ModuleType
from typing import Any, Callable, Dict, List

import pytest

from dumpcatcher import Client
from dumpcatcher.source_context import MAX_FRAMES, is_in_app
from ingest_server import IngestServer

SHOP = '''import json


def parse(text):
    return json.loads(text)["total"]


def load(text):
    try:
        return parse(text)
    except ValueError as error:
        raise RuntimeError("could not load %r" % text) from error


def load_quietly(text):
    try:
        return parse(text)
    except ValueError:
        raise LookupError("no total")
'''

HERE = os.path.abspath(__file__)


def write_module(folder: Any, name: str, text: str) -> ModuleType:
    path = os.path.join(str(folder), name + ".py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def send(make_client: Callable[..., Client], ingest: IngestServer) -> Callable[..., Dict[str, Any]]:
    """Capture ``exc`` with a client of these options and return the crash body the ingest got."""

    def run(exc: BaseException, **options: Any) -> Dict[str, Any]:
        client = make_client(**options)
        report_id = client.capture_exception(exc)
        assert report_id is not None and client.flush(5.0)
        [body] = [r.body for r in ingest.delivered() if r.body and r.body.get("reportId") == report_id]
        return body

    return run


def caught(call: Callable[[], Any]) -> BaseException:
    try:
        call()
    except Exception as error:  # noqa: BLE001
        return error
    raise AssertionError("did not raise")


def frame_lines(stacktrace: str) -> List[str]:
    return re.findall(r'File "([^"]+)", line (\d+)', stacktrace)


class TestFromRealExceptions:
    def test_raise_from_gives_the_lines_of_both_exceptions_in_app_frames_innermost_first(
        self, tmp_path: Any, send: Callable[..., Dict[str, Any]]
    ) -> None:
        shop = write_module(tmp_path, "shop", SHOP)
        body = send(caught(lambda: shop.load("{not json")))
        exception = body["exception"]
        entries = exception["sourceContext"]
        shown = [(e["file"], e["line"]) for e in entries]
        shop_file = entries[0]["file"]
        assert shop_file.endswith("shop.py")
        # The outer RuntimeError (load's raise, then this test's lambda and caught()), then its
        # cause (parse, then load's call), and no frame of json's own module.
        assert shown[0] == (shop_file, 12)
        assert (shop_file, 5) in shown and (shop_file, 10) in shown
        assert shown.index((shop_file, 12)) < shown.index((shop_file, 5)) < shown.index((shop_file, 10))
        assert not any("json" + os.sep in f for f, _ in shown)
        assert entries[0] == {
            "file": shop_file,
            "line": 12,
            "pre": ["        return parse(text)", "    except ValueError as error:"],
            "context": '        raise RuntimeError("could not load %r" % text) from error',
            "post": ["", ""],
        }
        parse_entry = entries[shown.index((shop_file, 5))]
        assert parse_entry["context"] == '    return json.loads(text)["total"]'
        assert parse_entry["pre"] == ["", "def parse(text):"]
        # Every entry names its frame as the scrubbed trace does.
        in_trace = frame_lines(exception["stacktrace"])
        for e in entries:
            assert (e["file"], str(e["line"])) in in_trace
        assert len(shown) == len(set(shown))

    def test_an_implicit_context_counts_too(self, tmp_path: Any, send: Callable[..., Dict[str, Any]]) -> None:
        shop = write_module(tmp_path, "shop_context", SHOP)
        entries = send(caught(lambda: shop.load_quietly("[")))["exception"]["sourceContext"]
        lines = [e["line"] for e in entries if e["file"].endswith("shop_context.py")]
        assert lines == [19, 5, 17]

    def test_lines_are_scrubbed_like_the_rest_of_the_report(self, tmp_path: Any, send: Callable[..., Dict[str, Any]]) -> None:
        text = 'def fail():\n    owner = "bob@example.com"\n    raise ValueError("no")\n'
        module = write_module(tmp_path, "mailer", text)
        entries = send(caught(module.fail))["exception"]["sourceContext"]
        [entry] = [e for e in entries if e["file"].endswith("mailer.py")]
        assert entry["pre"] == ["def fail():", '    owner = "<email>"']

    def test_at_most_20_frames_the_innermost(self, tmp_path: Any, send: Callable[..., Dict[str, Any]]) -> None:
        count = 30
        text = "".join("def f%d():\n    return f%d()\n\n" % (i, i + 1) for i in range(count))
        text += "def f%d():\n    raise ValueError('deep')\n" % count
        module = write_module(tmp_path, "deep", text)
        entries = send(caught(module.f0))["exception"]["sourceContext"]
        assert len(entries) == MAX_FRAMES
        assert [e["line"] for e in entries] == [3 * count + 2] + [3 * i + 2 for i in range(count - 1, count - MAX_FRAMES, -1)]

    def test_big_and_vanished_files_get_no_entry(self, tmp_path: Any, send: Callable[..., Dict[str, Any]]) -> None:
        big = write_module(tmp_path, "big", "def fail():\n    raise ValueError('big')\n" + "# padding\n" * 120_000)
        assert os.path.getsize(str(tmp_path / "big.py")) > 1024 * 1024
        gone = write_module(tmp_path, "gone", "def fail():\n    raise ValueError('gone')\n")
        os.remove(str(tmp_path / "gone.py"))
        for module, name in ((big, "big.py"), (gone, "gone.py")):
            body = send(caught(module.fail))
            files = [e["file"] for e in body["exception"]["sourceContext"]]
            assert not any(f.endswith(name) for f in files)
            assert any(f == HERE or f.endswith("test_source_context.py") for f in files)  # this file still has its lines

    def test_frames_cut_off_with_a_long_trace_get_no_entry(self, tmp_path: Any, send: Callable[..., Dict[str, Any]]) -> None:
        # The cause's 300 KB message comes first in the trace, so the 256 KiB cut takes the
        # outer exception's frames with the tail: they cannot be matched, so they are not sent.
        text = (
            "def inner():\n    raise ValueError('x' * 300000)\n\n\n"
            "def outer():\n    try:\n        inner()\n    except ValueError as error:\n"
            "        raise RuntimeError('outer') from error\n"
        )
        module = write_module(tmp_path, "longtrace", text)
        body = send(caught(module.outer))
        assert body["exception"]["stacktrace"].endswith("bytes omitted]")
        lines = [e["line"] for e in body["exception"]["sourceContext"] if e["file"].endswith("longtrace.py")]
        assert lines == [2, 7]

    def test_turned_off_by_the_option(self, tmp_path: Any, send: Callable[..., Dict[str, Any]]) -> None:
        shop = write_module(tmp_path, "shop_off", SHOP)
        body = send(caught(lambda: shop.load("{")), source_context=False)
        assert "sourceContext" not in body["exception"]

    def test_a_before_send_that_edits_the_lines_does_not_change_the_next_report(
        self, tmp_path: Any, send: Callable[..., Dict[str, Any]]
    ) -> None:
        shop = write_module(tmp_path, "shop_edit", SHOP)

        def blank(report: Dict[str, Any]) -> Dict[str, Any]:
            for entry in report["exception"]["sourceContext"]:
                entry["pre"].clear()
            return report

        send(caught(lambda: shop.load("{")), before_send=blank)
        body = send(caught(lambda: shop.load("{")))
        assert body["exception"]["sourceContext"][0]["pre"] != []


class TestInApp:
    def test_the_standard_library_and_installed_packages_are_not_in_app(self) -> None:
        assert not is_in_app(os.__file__)
        assert not is_in_app(pytest.__file__)  # site-packages
        assert not is_in_app("/usr/lib/python3/dist-packages/requests/api.py")
        assert not is_in_app("<frozen importlib._bootstrap>")
        assert not is_in_app("<string>")
        assert is_in_app(HERE)
