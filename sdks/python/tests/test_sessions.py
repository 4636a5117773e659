"""Release health sessions: real processes against the local ingest, markers, locks and a 404."""

import json
import os
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List

import pytest

from conftest import report_files
from dumpcatcher import Client
from dumpcatcher.session_markers import SessionMarker
from dumpcatcher.sessions import hour_start
from ingest_server import IngestServer

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "src")
APP = os.path.join(HERE, "scripts", "session_app.py")
RESEND = os.path.join(HERE, "scripts", "resend_app.py")


def child_env(environment: str = "") -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("DUMPCATCHER_ENVIRONMENT", None)
    if environment:
        env["DUMPCATCHER_ENVIRONMENT"] = environment
    return env


def run(script: str, *args: str, environment: str = "") -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, script, *args], env=child_env(environment), capture_output=True, text=True, timeout=30)


def session_bodies(ingest: IngestServer) -> List[Dict[str, Any]]:
    return [r.body or {} for r in ingest.delivered() if r.path == "/v1/sessions"]


def install_id(queue_dir: str) -> str:
    with open(os.path.join(queue_dir, "install-id"), encoding="ascii") as handle:
        return handle.read().strip()


def markers(queue_dir: str) -> List[str]:
    return sorted(n for n in os.listdir(queue_dir) if n.startswith("session-"))


def counts(ok: int = 0, errored: int = 0, crashed: int = 0, abnormal: int = 0) -> Dict[str, int]:
    return {"ok": ok, "errored": errored, "crashed": crashed, "abnormal": abnormal}


def totals(body: Dict[str, Any]) -> Dict[str, int]:
    return {k: sum(b[k] for b in body["sessions"]) for k in ("ok", "errored", "crashed", "abnormal")}


class TestRealProcesses:
    def test_a_clean_run_sends_one_signed_ok_session_of_its_release_and_install(self, ingest: IngestServer, queue_dir: str) -> None:
        before = time.time()
        done = run(APP, ingest.url, queue_dir, "clean")
        assert done.returncode == 0, done.stderr
        [body] = session_bodies(ingest)
        assert body["app"] == {"name": "session-app", "version": "4.1.0"}
        assert body["installId"] == install_id(queue_dir)
        assert set(body) == {"reportId", "occurredAt", "app", "environment", "installId", "sessions"}
        assert body["environment"] == "production"
        assert totals(body) == counts(ok=1)
        if hour_start(before) == hour_start(time.time()):  # else the run crossed the top of an hour
            assert body["sessions"] == [dict(started=hour_start(before), **counts(ok=1))]
        assert markers(queue_dir) == []

    def test_a_run_that_captured_a_handled_error_sends_an_errored_session(self, ingest: IngestServer, queue_dir: str) -> None:
        done = run(APP, ingest.url, queue_dir, "capture")
        assert done.returncode == 0, done.stderr
        [body] = session_bodies(ingest)
        assert totals(body) == counts(errored=1)
        assert [r.path for r in ingest.delivered()].count("/v1/crashes") == 1

    def test_an_uncaught_crash_leaves_a_crashed_session_beside_the_crash_report(self, ingest: IngestServer, queue_dir: str) -> None:
        dead = "http://127.0.0.1:9"  # nothing answers: the files stay for the next start
        crashed = run(APP, dead, queue_dir, "crash")
        assert crashed.returncode == 1
        assert "RuntimeError: session app crashed on purpose" in crashed.stderr
        paths = []
        for name in report_files(queue_dir):
            with open(os.path.join(queue_dir, name), encoding="utf-8") as handle:
                paths.append(json.load(handle)["path"])
        assert sorted(paths) == ["/v1/crashes", "/v1/sessions"]
        assert markers(queue_dir) == []
        resent = run(RESEND, ingest.url, queue_dir)
        assert resent.returncode == 0, resent.stderr
        [body] = session_bodies(ingest)
        assert totals(body) == counts(crashed=1)
        assert body["installId"] == install_id(queue_dir)

    def test_a_sigkilled_run_is_found_abnormal_at_the_next_start_and_sent_with_its_session(self, ingest: IngestServer, queue_dir: str) -> None:
        victim = subprocess.Popen([sys.executable, APP, ingest.url, queue_dir, "hang"], env=child_env(), stdout=subprocess.PIPE, text=True)
        try:
            assert victim.stdout is not None and victim.stdout.readline().strip() == "running"
            assert len([m for m in markers(queue_dir) if m.endswith(".json")]) == 1
        finally:
            victim.kill()  # SIGKILL: no atexit, no hook
            victim.wait(10)
        done = run(APP, ingest.url, queue_dir, "clean")
        assert done.returncode == 0, done.stderr
        [body] = session_bodies(ingest)
        assert totals(body) == counts(ok=1, abnormal=1)
        assert markers(queue_dir) == []

    def test_a_sigkilled_run_keeps_its_environment_when_a_run_of_another_finds_it(self, ingest: IngestServer, queue_dir: str) -> None:
        victim = subprocess.Popen([sys.executable, APP, ingest.url, queue_dir, "hang"], env=child_env("staging"), stdout=subprocess.PIPE, text=True)
        try:
            assert victim.stdout is not None and victim.stdout.readline().strip() == "running"
        finally:
            victim.kill()
            victim.wait(10)
        done = run(APP, ingest.url, queue_dir, "clean", environment="qa")
        assert done.returncode == 0, done.stderr
        bodies = {b["environment"]: totals(b) for b in session_bodies(ingest)}
        assert bodies == {"staging": counts(abnormal=1), "qa": counts(ok=1)}

    def test_a_running_process_is_not_found_abnormal_by_another_sharing_its_folder(self, ingest: IngestServer, queue_dir: str) -> None:
        live = subprocess.Popen([sys.executable, APP, ingest.url, queue_dir, "hang"], env=child_env(), stdout=subprocess.PIPE, text=True)
        try:
            assert live.stdout is not None and live.stdout.readline().strip() == "running"
            done = run(APP, ingest.url, queue_dir, "clean")
            assert done.returncode == 0, done.stderr
            [body] = session_bodies(ingest)
            assert totals(body) == counts(ok=1)
            assert len([m for m in markers(queue_dir) if m.endswith(".json")]) == 1
        finally:
            live.kill()
            live.wait(10)


class TestInProcess:
    def test_the_marker_and_its_lock_live_exactly_as_long_as_the_session(self, make_client: Callable[..., Client], queue_dir: str) -> None:
        client = make_client(auto_session_tracking=True)
        marker = os.path.join(queue_dir, "session-%s.json" % client.client_id)
        assert markers(queue_dir) == ["session-%s.json" % client.client_id, "session-%s.lock" % client.client_id]
        client.capture_exception(ValueError("handled"))
        with open(marker, encoding="utf-8") as handle:
            assert json.load(handle)["errored"] is True
        client.end_session()
        assert markers(queue_dir) == []
        client.start_session()
        assert os.path.exists(marker)
        client.close(timeout=2)
        assert markers(queue_dir) == []

    def test_a_live_lock_holder_in_this_process_is_not_claimed(self, make_client: Callable[..., Client], queue_dir: str) -> None:
        first = make_client(auto_session_tracking=True)
        second = make_client(auto_session_tracking=True)
        assert SessionMarker(queue_dir, "another-client-01").claim_dead() == ([], [])
        assert len([m for m in markers(queue_dir) if m.endswith(".json")]) == 2
        second.close(timeout=0)
        first.close(timeout=0)

    def test_after_a_404_on_sessions_logs_once_and_sends_no_more(self, make_client: Callable[..., Client], ingest: IngestServer, queue_dir: str, caplog: pytest.LogCaptureFixture) -> None:
        ingest.script = [(404, {})]
        client = make_client(auto_session_tracking=True)
        client.end_session()
        assert client.flush(5)
        client.start_session()
        client.end_session()
        client.capture_exception(ValueError("still reported"))
        assert client.flush(5)
        client.close(timeout=2)
        assert [(r.path, r.status) for r in ingest.received] == [("/v1/sessions", 404), ("/v1/crashes", 202)]
        assert len([r for r in caplog.records if "does not know /v1/sessions" in r.getMessage()]) == 1
        # An older server, not a wrong URL.
        assert not [r for r in caplog.records if "is this the ingest URL?" in r.getMessage()]
        assert markers(queue_dir) == []
