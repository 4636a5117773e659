"""A tiny app for the session tests: `clean`, `capture`, `crash` or `hang` (until killed)."""

import sys
import time

import dumpcatcher


def main() -> None:
    endpoint, queue_dir, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    dumpcatcher.init(
        endpoint=endpoint,
        product_key="pk_test_0123456789",
        secret="sk-test-S3cr3t-value-do-not-log",
        app_name="session-app",
        app_version="4.1.0",
        queue_dir=queue_dir,
        shutdown_timeout=5.0,
    )
    if mode == "capture":
        try:
            int("twelve")
        except ValueError:
            dumpcatcher.capture_exception()
    elif mode == "crash":
        raise RuntimeError("session app crashed on purpose")
    elif mode == "hang":
        print("running", flush=True)
        while True:
            time.sleep(1)


if __name__ == "__main__":
    main()
