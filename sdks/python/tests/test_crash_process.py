"""A real process dies of an uncaught exception; a later process delivers its report."""

import json
import os
import socket
import subprocess
import sys
from typing import Dict

from conftest import report_files
from ingest_server import IngestServer

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "src")


def child_env() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    return env


def unreachable_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return "http://127.0.0.1:%d" % port  # nothing listens there once the socket is closed


def test_a_crashing_process_leaves_one_report_that_the_next_start_sends(ingest: IngestServer, queue_dir: str) -> None:
    crashed = subprocess.run(
        [sys.executable, os.path.join(HERE, "scripts", "crash_app.py"), unreachable_endpoint(), queue_dir],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert crashed.returncode == 1
    assert "RuntimeError: order import failed" in crashed.stderr  # the default hook still ran
    [name] = report_files(queue_dir)
    with open(os.path.join(queue_dir, name), encoding="utf-8") as handle:
        record = json.load(handle)
    trace = record["body"]["exception"]["stacktrace"]
    assert record["body"]["exception"]["type"] == "RuntimeError"
    assert "The above exception was the direct cause of the following exception" in trace
    assert "ValueError: invalid literal for int()" in trace
    assert "in parse_order" in trace
    with open(os.path.join(queue_dir, "limiter.json"), encoding="utf-8") as handle:
        limiter = json.load(handle)  # saved in the hook, before the process died
    assert [v["count"] for v in limiter["windows"].values()] == [1]

    resent = subprocess.run(
        [sys.executable, os.path.join(HERE, "scripts", "resend_app.py"), ingest.url, queue_dir],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert resent.returncode == 0, resent.stderr
    [request] = ingest.delivered()
    assert request.status == 202
    assert request.client_id == record["clientId"]
    assert request.counter == record["counter"] == 1
    assert request.client_id != resent.stdout.strip()
    assert (request.body or {})["reportId"] == record["body"]["reportId"]
    assert (request.body or {})["app"]["version"] == "2.0.0"
    assert report_files(queue_dir) == []
