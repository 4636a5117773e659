"""Debug mode prints the scrubbed report to stderr and sends and writes nothing."""

import json
import time
from typing import Any

import pytest

import dumpcatcher
from conftest import PRODUCT_KEY, SECRET, report_files
from ingest_server import IngestServer


def test_debug_mode_prints_scrubbed_reports_and_sends_nothing(
    ingest: IngestServer, queue_dir: str, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    dumpcatcher.init(
        endpoint=ingest.url,
        product_key=PRODUCT_KEY,
        secret=SECRET,
        app_name="debug-tests",
        app_version="0.0.1",
        queue_dir=queue_dir,
        debug=True,
        install_id=True,
    )
    try:
        raise ValueError("contact dave@example.org, key %s" % SECRET)
    except ValueError:
        report_id = dumpcatcher.capture_exception(tags={"screen": "home"})
    usage_id = dumpcatcher.report_usage()
    assert dumpcatcher.flush(0.5)
    time.sleep(0.2)
    err = capsys.readouterr().err
    assert "POST /v1/crashes" in err and "POST /v1/usage" in err
    assert report_id is not None and report_id in err
    assert usage_id is not None and usage_id in err
    assert "contact <email>, key <redacted>" in err
    assert SECRET not in err and "dave@example.org" not in err
    printed = err.split("POST /v1/crashes\n", 1)[1].split("\n}\n", 1)[0] + "\n}"
    assert json.loads(printed)["tags"] == {"screen": "home"}
    assert ingest.received == []
    assert report_files(queue_dir) == []
    assert not (tmp_path / "queue").exists()
