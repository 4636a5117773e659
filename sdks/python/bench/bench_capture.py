"""CPU time per captured exception: Dumpcatcher vs sentry-sdk, same exception, same run.

Run from the repository root:  python3 sdks/python/bench/bench_capture.py  [--n 1000]

* A sink HTTP server runs in its own process on 127.0.0.1 (so its CPU is not counted). It
  answers 202 to Dumpcatcher after checking the v1 signature, and 200 to Sentry envelopes.
* Each SDK runs in its own fresh interpreter and captures N distinct exception objects raised
  from the same 33-frame-deep stack (distinct objects, so Sentry's dedupe does not skip them),
  in batches of 50 followed by flush(), so delivery is included and no SDK drops events.
* The figure is time.process_time() of the worker process (all its threads: capture, disk
  queue, background sending) divided by N.
* Dumpcatcher uses its real disk queue in a temporary folder and its default options, except
  max_reports_per_fingerprint, raised so that the limiter does not skip the repeated crash.
  It runs three times: with its defaults (source context on, the breadcrumb ring empty), with
  the ring full (100 breadcrumbs like the automatic http ones, so each report carries 100), and
  with source context and breadcrumbs off; the differences are what each adds per capture.
* sentry-sdk (pinned below) is installed only into .local/bench-venv, created here if missing;
  it is never a dependency of the SDK. It runs with its defaults (local variables and source
  context on), and once more with both off, for a like-for-like view.
"""

import argparse
import hashlib
import hmac
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List

SENTRY_VERSION = "2.75.0"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SDK_SRC = os.path.join(REPO, "sdks", "python", "src")
VENV = os.path.join(REPO, ".local", "bench-venv")
PRODUCT_KEY = "pk_bench_00000001"
SECRET = "bench-secret-0123456789"
DEPTH = 30  # recursion levels; the trace has 33 frames
BATCH = 50
WARMUP = 50
CALLS = 10000  # logging calls and add_breadcrumb calls timed in the Dumpcatcher workers


# -- the sink (its own process) -------------------------------------------------------------


def run_sink() -> None:
    counts: Dict[str, int] = {"dumpcatcher": 0, "dumpcatcher_bad_signature": 0, "sentry": 0}
    lock = threading.Lock()

    class Sink(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def setup(self) -> None:
            super().setup()
            # headers and body go out in two writes; without this, Nagle + delayed ACK add
            # 40 ms to every keep-alive request (wall time only, but it makes the run slow)
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _reply(self, status: int, payload: Dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            with lock:
                self._reply(200, dict(counts))

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.startswith("/v1/"):
                h = self.headers
                lines = [
                    "DUMPCATCHER1-HMAC-SHA256", "POST", self.path, h["X-Dumpcatcher-Key"],
                    h["X-Dumpcatcher-Client"], h["X-Dumpcatcher-Counter"], h["X-Dumpcatcher-Timestamp"],
                    h.get("X-Dumpcatcher-Body-Encoding") or "identity", hashlib.sha256(raw).hexdigest(),
                ]
                expected = "v1=" + hmac.new(SECRET.encode(), "\n".join(lines).encode(), hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(expected, h.get("X-Dumpcatcher-Signature", ""))
                with lock:
                    # crash reports only: the session report each run sends at exit is not one
                    if not ok:
                        counts["dumpcatcher_bad_signature"] += 1
                    elif self.path == "/v1/crashes":
                        counts["dumpcatcher"] += 1
                self._reply(202 if ok else 401, {"id": "bench"})
            else:
                with lock:
                    counts["sentry"] += 1
                self._reply(200, {"id": "bench"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # runs until the parent closes our stdin


# -- the workers (each in its own process) -----------------------------------------------------


def handle_request(level: int, order: Dict[str, Any]) -> None:
    route = "/orders/%s" % order["id"]
    validate_order(level - 1, order) if level else price_order(order, route)


def validate_order(level: int, order: Dict[str, Any]) -> None:
    lines = len(order["lines"])
    load_customer(level - 1, order) if level else price_order(order, lines)


def load_customer(level: int, order: Dict[str, Any]) -> None:
    customer = {"tier": "gold", "since": 2019}
    apply_discounts(level - 1, order) if level else price_order(order, customer)


def apply_discounts(level: int, order: Dict[str, Any]) -> None:
    rate = 0.1 * (level % 3)
    compute_tax(level - 1, order) if level else price_order(order, rate)


def compute_tax(level: int, order: Dict[str, Any]) -> None:
    region = "EU"
    handle_request(level - 1, order) if level else price_order(order, region)


def price_order(order: Dict[str, Any], context: Any) -> None:
    subtotal = sum(order["lines"])
    raise ValueError("could not price order %s (subtotal %d, context %r)" % (order["id"], subtotal, context))


def make_exceptions(count: int) -> List[BaseException]:
    made: List[BaseException] = []
    for i in range(count):
        try:
            handle_request(DEPTH, {"id": "A-%d" % i, "lines": [1, 2, 3]})
        except ValueError as error:
            made.append(error)
    return made


DUMPCATCHER_KINDS = ("dumpcatcher", "dumpcatcher-crumbs", "dumpcatcher-bare")
WORKERS = DUMPCATCHER_KINDS + ("sentry", "sentry-lean")


def run_worker(kind: str, sink: str, n: int) -> None:
    exceptions = make_exceptions(n + WARMUP)
    extra: Dict[str, float] = {}
    if kind in DUMPCATCHER_KINDS:
        sys.path.insert(0, SDK_SRC)
        import dumpcatcher

        queue_dir = tempfile.mkdtemp(prefix="dc-bench-")
        bare = kind == "dumpcatcher-bare"
        dumpcatcher.init(
            endpoint=sink,
            product_key=PRODUCT_KEY,
            secret=SECRET,
            app_name="bench",
            app_version="1.0.0",
            queue_dir=queue_dir,
            capture_uncaught=False,
            max_reports_per_fingerprint=10 ** 9,
            source_context=not bare,
            max_breadcrumbs=0 if bare else 100,
        )
        if kind != "dumpcatcher":  # the defaults' ring stays empty
            # What the automatic logging breadcrumbs add to an app's logging call (bare: not installed).
            logger = logging.getLogger("bench.app")
            logger.setLevel(logging.INFO)
            logger.addHandler(logging.NullHandler())
            logger.propagate = False
            cpu0 = time.process_time()
            for i in range(CALLS):
                logger.info("order %s priced", i)
            extra["log_us"] = (time.process_time() - cpu0) / CALLS * 1e6
        if kind == "dumpcatcher-crumbs":  # then the ring holds these 100, not log records
            cpu0 = time.process_time()
            for i in range(CALLS):
                path = "/api/orders/A-%d/lines" % (i % 100)
                data = {"method": "GET", "host": "shop.example:8443", "path": path, "status": 200}
                dumpcatcher.add_breadcrumb("http", "GET shop.example:8443" + path, "info", data)
            extra["add_us"] = (time.process_time() - cpu0) / CALLS * 1e6
        capture, flush = dumpcatcher.capture_exception, lambda: dumpcatcher.flush(60)
    else:
        import sentry_sdk

        port = sink.rsplit(":", 1)[1]
        lean = kind == "sentry-lean"
        sentry_sdk.init(
            dsn="http://publickey@127.0.0.1:%s/1" % port,
            include_local_variables=not lean,
            include_source_context=not lean,
        )
        capture, flush = sentry_sdk.capture_exception, lambda: sentry_sdk.flush(60)

    for error in exceptions[:WARMUP]:
        capture(error)
    flush()
    timed = exceptions[WARMUP:]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for start in range(0, len(timed), BATCH):
        for error in timed[start : start + BATCH]:
            capture(error)
        flush()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(json.dumps(dict(extra, kind=kind, n=n, cpu_s=cpu, wall_s=wall)), flush=True)


# -- the driver ------------------------------------------------------------------------------


def ensure_venv() -> str:
    python = os.path.join(VENV, "Scripts" if os.name == "nt" else "bin", "python")
    check = [python, "-c", "import sentry_sdk,sys; sys.exit(sentry_sdk.VERSION != %r)" % SENTRY_VERSION]
    if os.path.exists(python) and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print("creating %s with sentry-sdk==%s (benchmark only)" % (os.path.relpath(VENV, REPO), SENTRY_VERSION), flush=True)
    subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "sentry-sdk==%s" % SENTRY_VERSION], check=True)
    return python


def stats(sink: str) -> Dict[str, int]:
    import urllib.request

    with urllib.request.urlopen(sink + "/stats", timeout=5) as response:
        return json.loads(response.read())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="timed captures per SDK")
    parser.add_argument("--worker", choices=WORKERS)
    parser.add_argument("--sink-server", action="store_true")
    parser.add_argument("--sink")
    args = parser.parse_args()
    if args.sink_server:
        run_sink()
        return 0
    if args.worker:
        run_worker(args.worker, args.sink, args.n)
        return 0

    python = ensure_venv()
    sink_proc = subprocess.Popen([sys.executable, __file__, "--sink-server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert sink_proc.stdout is not None
        sink = "http://127.0.0.1:%s" % sink_proc.stdout.readline().strip()
        results: Dict[str, Dict[str, Any]] = {}
        for kind in WORKERS:
            before = stats(sink)
            out = subprocess.run([python, __file__, "--worker", kind, "--sink", sink, "--n", str(args.n)],
                                 capture_output=True, text=True, check=True)
            results[kind] = json.loads(out.stdout.strip().splitlines()[-1])
            after = stats(sink)
            key = "dumpcatcher" if kind in DUMPCATCHER_KINDS else "sentry"
            results[kind]["delivered"] = after[key] - before[key]
            results[kind]["bad_signatures"] = after["dumpcatcher_bad_signature"] - before["dumpcatcher_bad_signature"]
    finally:
        if sink_proc.stdin:
            sink_proc.stdin.close()
        sink_proc.wait(5)

    def per(kind: str) -> float:
        return results[kind]["cpu_s"] / results[kind]["n"] * 1e6

    print("\nCPU time per captured exception (%d captures, %d-frame stack, batches of %d + flush; "
          "Python %s)" % (args.n, DEPTH + 3, BATCH, sys.version.split()[0]))
    labels = {
        "dumpcatcher": "dumpcatcher (disk queue + HTTP to sink)",
        "dumpcatcher-crumbs": "dumpcatcher, 100 breadcrumbs in each report",
        "dumpcatcher-bare": "dumpcatcher, no source context, no breadcrumbs",
        "sentry": "sentry-sdk %s (defaults)" % SENTRY_VERSION,
        "sentry-lean": "sentry-sdk %s (no locals/source)" % SENTRY_VERSION,
    }
    for kind, result in results.items():
        print("  %-42s %8.1f us CPU  %8.1f us wall  delivered %d/%d" % (
            labels[kind], per(kind), result["wall_s"] / result["n"] * 1e6, result["delivered"], result["n"] + WARMUP))
    ratio = per("dumpcatcher") / per("sentry")
    print("  ratio dumpcatcher / sentry-sdk (defaults):           %.2f (target <= 0.50)" % ratio)
    print("  ratio dumpcatcher / sentry-sdk (no locals/source):   %.2f" % (per("dumpcatcher") / per("sentry-lean")))
    print("  source context adds (defaults - none):               %+.1f us CPU per capture" % (per("dumpcatcher") - per("dumpcatcher-bare")))
    print("  100 breadcrumbs add (full ring - empty ring):        %+.1f us CPU per capture" % (per("dumpcatcher-crumbs") - per("dumpcatcher")))
    print("  add_breadcrumb (http-like, 4 data entries):          %.1f us CPU per call" % results["dumpcatcher-crumbs"]["add_us"])
    print("  logger.info to a NullHandler, with / without the logging breadcrumbs: %.1f / %.1f us CPU per call" % (
        results["dumpcatcher-crumbs"]["log_us"], results["dumpcatcher-bare"]["log_us"]))
    complete = all(r["delivered"] == r["n"] + WARMUP and r["bad_signatures"] == 0 for r in results.values())
    if not complete:
        print("  WARNING: not every report reached the sink with a valid signature")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
