"""A small real program for the end-to-end tests: it starts the Python SDK and then does what
its mode says (python3 crash_app.py <mode>):

  crash       dies from an uncaught ValueError raised a few calls deep (checkout path)
  other-path  the same ValueError from the same line, reached through preview()
  chained     dies from a RuntimeError raised `from` the ValueError
  big         dies from a ValueError whose message is about 27 KB (1500 rows)
  interrupt   a KeyboardInterrupt (the user pressed Ctrl-C) ends the program
  exit        sys.exit(3) from a few calls deep
  thread      a worker thread dies from the ValueError; the program goes on and exits 0
  usage       queues one usage report and exits normally
  burst n     captures n different exceptions and exits normally (the exit flush sends them)
  start       only starts the SDK and exits normally (a second start after a crash)

The SDK reads its settings from E2E_ENDPOINT, E2E_PRODUCT_KEY, E2E_SECRET and optionally
E2E_QUEUE_DIR (else the SDK's default folder), E2E_SHUTDOWN_TIMEOUT_MS,
E2E_MAX_PER_FINGERPRINT, E2E_INSTALL_ID (1: install_id=True), E2E_SESSIONS (1:
auto_session_tracking=True) and E2E_CLOCK_SKEW_MS (milliseconds
added to this process's clock); opting out (DO_NOT_TRACK, DUMPCATCHER_DISABLED,
DUMPCATCHER_CONFIG) is left to the SDK.
"""

import os
import sys
import threading
import time

if os.environ.get("E2E_CLOCK_SKEW_MS"):
    # A machine whose clock is off: everything that reads time.time() sees the skewed time.
    _real_time = time.time
    _skew = int(os.environ["E2E_CLOCK_SKEW_MS"]) / 1000.0
    time.time = lambda: _real_time() + _skew

import dumpcatcher  # noqa: E402 - after the clock is skewed


def start_sdk():
    options = dict(
        endpoint=os.environ["E2E_ENDPOINT"],
        product_key=os.environ["E2E_PRODUCT_KEY"],
        secret=os.environ["E2E_SECRET"],
        app_name="e2e-python",
        app_version="1.0.0",
        max_reports_per_fingerprint=int(os.environ.get("E2E_MAX_PER_FINGERPRINT") or "1000"),
        shutdown_timeout=float(os.environ.get("E2E_SHUTDOWN_TIMEOUT_MS") or "2000") / 1000,
        install_id=os.environ.get("E2E_INSTALL_ID") == "1",
        auto_session_tracking=os.environ.get("E2E_SESSIONS") == "1",
    )
    if os.environ.get("E2E_QUEUE_DIR"):
        options["queue_dir"] = os.environ["E2E_QUEUE_DIR"]
    dumpcatcher.init(**options)


def parse_price(text):
    return int(text)


def give_up(order):
    sys.exit(order["exit"])


def apply_discount(order):
    if "exit" in order:
        give_up(order)
    return parse_price(order["discount"])


def checkout(order):
    return apply_discount(order)


def preview(order):
    return apply_discount(order)


def load_order(order):
    try:
        return checkout(order)
    except ValueError as err:
        raise RuntimeError("could not load the order") from err


def import_rows():
    raise ValueError("; ".join("row %d: bad price" % i for i in range(1500)))


def main(mode):
    start_sdk()
    order = {"discount": "alice@example.com"}
    if mode == "crash":
        checkout(order)
    elif mode == "other-path":
        preview(order)
    elif mode == "chained":
        load_order(order)
    elif mode == "big":
        import_rows()
    elif mode == "interrupt":
        raise KeyboardInterrupt
    elif mode == "exit":
        checkout({"discount": None, "exit": 3})
    elif mode == "thread":
        worker = threading.Thread(target=checkout, args=(order,), name="order-worker")
        worker.start()
        worker.join()
    elif mode == "usage":
        dumpcatcher.report_usage()
    elif mode == "burst":
        for i in range(int(sys.argv[2])):
            try:
                raise LookupError("burst report %d" % i)
            except LookupError:
                dumpcatcher.capture_exception()
    elif mode != "start":
        sys.exit("unknown mode: " + mode)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "start")
