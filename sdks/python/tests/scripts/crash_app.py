"""A tiny app that initialises the SDK and dies of an uncaught exception (used by tests)."""

import sys

import dumpcatcher


def parse_order(raw: str) -> int:
    return int(raw)


def main() -> None:
    endpoint, queue_dir = sys.argv[1], sys.argv[2]
    dumpcatcher.init(
        endpoint=endpoint,
        product_key="pk_test_0123456789",
        secret="sk-test-S3cr3t-value-do-not-log",
        app_name="crash-app",
        app_version="2.0.0",
        queue_dir=queue_dir,
        shutdown_timeout=0.3,
        auto_session_tracking=False,  # tests/test_sessions.py counts sessions
    )
    try:
        parse_order("twelve")
    except ValueError as error:
        raise RuntimeError("order import failed") from error


if __name__ == "__main__":
    main()
