"""Opt-out: nothing sent and no queue file written, decided once at init."""

import json
import os
import time
from typing import Any, Dict, Iterator

import pytest

import dumpcatcher
from conftest import PRODUCT_KEY, SECRET, report_files
from ingest_server import IngestServer


@pytest.fixture
def options(ingest: IngestServer, queue_dir: str) -> Dict[str, Any]:
    return dict(
        endpoint=ingest.url,
        product_key=PRODUCT_KEY,
        secret=SECRET,
        app_name="consent-tests",
        app_version="1.0.0",
        queue_dir=queue_dir,
    )


def exercise_everything() -> None:
    try:
        raise RuntimeError("would be reported")
    except RuntimeError:
        assert dumpcatcher.capture_exception() is None
    assert dumpcatcher.report_usage() is None
    assert dumpcatcher.flush(0.2) is True


def assert_silent(ingest: IngestServer, queue_dir: str) -> None:
    time.sleep(0.2)  # give a (wrongly) started sender time to reach the server
    assert ingest.received == []
    assert report_files(queue_dir) == []
    assert not os.path.exists(queue_dir)


@pytest.fixture
def config_file(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    path = str(tmp_path / "config.json")
    monkeypatch.setenv("DUMPCATCHER_CONFIG", path)
    yield path


class TestOptOut:
    def test_enabled_false(self, options: Dict[str, Any], ingest: IngestServer, queue_dir: str) -> None:
        dumpcatcher.init(enabled=False, **options)
        assert dumpcatcher.get_client() is None
        exercise_everything()
        assert_silent(ingest, queue_dir)

    @pytest.mark.parametrize("value", ["1", "true", "yes"])
    def test_do_not_track(self, value: str, options: Dict[str, Any], ingest: IngestServer, queue_dir: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DO_NOT_TRACK", value)
        dumpcatcher.init(**options)
        exercise_everything()
        assert_silent(ingest, queue_dir)

    def test_dumpcatcher_disabled(self, options: Dict[str, Any], ingest: IngestServer, queue_dir: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DUMPCATCHER_DISABLED", "1")
        dumpcatcher.init(**options)
        exercise_everything()
        assert_silent(ingest, queue_dir)

    def test_config_file_enabled_false(self, options: Dict[str, Any], ingest: IngestServer, queue_dir: str, config_file: str) -> None:
        with open(config_file, "w", encoding="utf-8") as handle:
            json.dump({"enabled": False}, handle)
        dumpcatcher.init(**options)
        exercise_everything()
        assert_silent(ingest, queue_dir)

    def test_default_config_file_under_xdg_config_home(
        self, options: Dict[str, Any], ingest: IngestServer, queue_dir: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("DUMPCATCHER_CONFIG")
        folder = tmp_path / "xdg-config" / "dumpcatcher"
        folder.mkdir(parents=True)
        (folder / "config.json").write_text('{"enabled": false}')
        dumpcatcher.init(**options)
        exercise_everything()
        assert_silent(ingest, queue_dir)


class TestNotOptedOut:
    @pytest.mark.parametrize("value", ["", "0", "false"])
    def test_do_not_track_off_values_still_send(
        self, value: str, options: Dict[str, Any], ingest: IngestServer, queue_dir: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DO_NOT_TRACK", value)
        dumpcatcher.init(**options)
        try:
            raise RuntimeError("reported")
        except RuntimeError:
            assert dumpcatcher.capture_exception() is not None
        assert dumpcatcher.flush(5)
        assert len(ingest.delivered()) == 1

    @pytest.mark.parametrize("content", ["{not json", '{"enabled": true}', "[false]"])
    def test_an_unreadable_or_permissive_config_changes_nothing(
        self, content: str, options: Dict[str, Any], ingest: IngestServer, config_file: str
    ) -> None:
        with open(config_file, "w", encoding="utf-8") as handle:
            handle.write(content)
        dumpcatcher.init(**options)
        assert dumpcatcher.report_usage() is not None
        assert dumpcatcher.flush(5)
        assert [r.path for r in ingest.delivered()] == ["/v1/usage"]

    def test_the_decision_is_made_once_at_init(
        self, options: Dict[str, Any], ingest: IngestServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        dumpcatcher.init(**options)
        monkeypatch.setenv("DO_NOT_TRACK", "1")
        assert dumpcatcher.report_usage() is not None
        assert dumpcatcher.flush(5)
        assert len(ingest.delivered()) == 1
