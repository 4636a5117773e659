"""Fixtures shared by the SDK tests: a clean environment, a local ingest server, clients."""

import os
import sys
import threading
from typing import Any, Callable, Iterator, List

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # ingest_server lives beside the tests

import dumpcatcher  # noqa: E402
from dumpcatcher import Client, Options, RetryPolicy  # noqa: E402
from dumpcatcher.disk_queue import FILE_NAME  # noqa: E402
from ingest_server import IngestServer  # noqa: E402

PRODUCT_KEY = "pk_test_0123456789"
SECRET = "sk-test-S3cr3t-value-do-not-log"
FAST_RETRY = RetryPolicy(base=0.02, factor=2.0, cap=0.1, max_attempts=8)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """No opt-out or environment variables, no proxies, and per-test config and cache folders."""
    for name in ("DO_NOT_TRACK", "DUMPCATCHER_DISABLED", "DUMPCATCHER_ENVIRONMENT", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DUMPCATCHER_CONFIG", str(tmp_path / "no-config.json"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


@pytest.fixture(autouse=True)
def fresh_notices() -> None:
    """Each test starts as a fresh process would: no notice said yet."""
    dumpcatcher.log.forget_notices()


@pytest.fixture(autouse=True)
def restore_hooks() -> Iterator[None]:
    """Every test leaves the interpreter's hooks as it found them."""
    before_sys, before_thread = sys.excepthook, threading.excepthook
    yield
    dumpcatcher.close()
    sys.excepthook, threading.excepthook = before_sys, before_thread


@pytest.fixture
def ingest() -> Iterator[IngestServer]:
    """A running local ingest that verifies signatures with the test secret."""
    server = IngestServer(PRODUCT_KEY, SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def queue_dir(tmp_path: Any) -> str:
    """An empty queue folder for this test."""
    path = tmp_path / "queue"
    return str(path)


def report_files(path: str) -> List[str]:
    """Queue report files (not limiter.json, install-id, session markers or .tmp)."""
    if not os.path.isdir(path):
        return []
    return sorted(n for n in os.listdir(path) if FILE_NAME.match(n))


@pytest.fixture
def make_client(ingest: IngestServer, queue_dir: str) -> Iterator[Callable[..., Client]]:
    """Build Clients aimed at the local ingest with a fast retry policy (no automatic session); closed afterwards."""
    made: List[Client] = []

    def build(policy: RetryPolicy = FAST_RETRY, **overrides: Any) -> Client:
        options = dict(
            endpoint=ingest.url,
            product_key=PRODUCT_KEY,
            secret=SECRET,
            app_name="sdk-tests",
            app_version="1.2.3",
            queue_dir=queue_dir,
            capture_uncaught=False,
            # Sessions add a report at close; the session tests turn them on.
            auto_session_tracking=False,
        )
        options.update(overrides)
        client = Client(Options.from_kwargs(options), retry_policy=policy)
        made.append(client)
        return client

    yield build
    for client in made:
        client.close(timeout=0)
