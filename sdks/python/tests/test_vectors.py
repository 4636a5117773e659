"""The conformance vectors shared with the Node and Java SDKs (test/vectors/)."""

import json
import os
import platform
import re
from datetime import datetime
from typing import Any, Dict, List, Tuple

import logging

import pytest

import dumpcatcher
import dumpcatcher.log
import dumpcatcher.scrub

from dumpcatcher.body_fit import MAX_BODY_BYTES, fit_body
from dumpcatcher.disk_queue import Queue, encode_body
from dumpcatcher.limiter import Limiter, local_fingerprint
from dumpcatcher.metrics import process_locale
from dumpcatcher.options import Options, OptionsError
from dumpcatcher.report import os_arch
from dumpcatcher.scrub import Scrubber
from dumpcatcher.session_markers import parse_marker
from dumpcatcher.sessions import BACKGROUND_SESSION_SECONDS, Owner, SessionBook
from dumpcatcher.source_context import SourceContext
from dumpcatcher.transport import CLOCK_FIX, classify_answer

VECTORS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "test", "vectors")


def _load(name: str) -> Dict[str, Any]:
    with open(os.path.join(VECTORS, name), encoding="utf-8") as f:
        return json.load(f)  # type: ignore[no-any-return]


def _cases(cases: List[Dict[str, Any]], where: str) -> List[Dict[str, Any]]:
    """The cases of one vector list; none at all fails collection instead of parametrizing zero tests."""
    if not cases:
        raise AssertionError("test/vectors/%s holds no case" % where)
    return cases


SCRUB = _load("scrub-v1.json")
ANSWERS = _load("answers-v1.json")
OPTIONS = _load("options-v1.json")
NOTICES = _load("notices-v1.json")
LOCALES = _load("locale-v1.json")
FILES = _load("files-v1.json")
ARCH = _load("arch-v1.json")
SCRUB_CASES = _cases(SCRUB["cases"], "scrub-v1.json: cases")
ANSWER_CASES = _cases(ANSWERS["cases"], "answers-v1.json: cases")
ARCH_CASES = _cases(ARCH["cases"], "arch-v1.json: cases")


@pytest.mark.parametrize("case", SCRUB_CASES, ids=[c["name"] for c in SCRUB_CASES])
def test_scrub_vector(case: Dict[str, Any]) -> None:
    context = case.get("context", SCRUB["context"])
    scrubber = Scrubber(context["secret"], home=context["homeDir"], user=context["userName"])
    assert scrubber.text(case["input"]) == case["expected"]


@pytest.mark.parametrize("case", ANSWER_CASES, ids=[c["name"] for c in ANSWER_CASES])
def test_answer_vector(case: Dict[str, Any]) -> None:
    headers = {k.lower(): v for k, v in case["headers"].items()}
    decision = classify_answer(
        case["status"],
        headers,
        case["nowMs"] / 1000.0,
        case["clockOffsetMs"] / 1000.0,
        case.get("body", "").encode("utf-8"),
    )
    actual: Dict[str, Any] = {"action": "clockFix" if decision.action == CLOCK_FIX else decision.action}
    if decision.action == "drop":
        actual["log"] = decision.notice
    if decision.action == "retry":
        actual["retryAfterMs"] = None if decision.retry_after is None else round(decision.retry_after * 1000)
    if decision.action == CLOCK_FIX:
        assert decision.clock_offset is not None
        actual["clockOffsetMs"] = round(decision.clock_offset * 1000)
    assert actual == case["expect"]


def _snake(name: str) -> str:
    return re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), name)


OPTION_CASES: List[Tuple[Dict[str, Any], bool]] = [
    (c, d)
    for c in _cases(OPTIONS["cases"], "options-v1.json: cases")
    if "python" in c.get("sdks", ["python"])
    for d in (False, True)
]
RFC3339_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
DEBUG_REPORT = re.compile(r"^\[dumpcatcher\] debug mode, not sent: POST (\S+)$", re.MULTILINE)


def _debug_bodies(stderr: str) -> List[Tuple[str, Dict[str, Any]]]:
    """The (path, body) of every report debug mode printed instead of sending."""
    decoder = json.JSONDecoder()
    return [(m.group(1), decoder.raw_decode(stderr, m.end() + 1)[0]) for m in DEBUG_REPORT.finditer(stderr)]


def _one_of_each(kwargs: Dict[str, Any], request: Any, capsys: Any) -> Dict[str, Dict[str, Any]]:
    """Run a client with these options through a crash, a usage report and a session; the body
    of each by path, as it reached the local ingest (or was printed in debug mode)."""
    kwargs = dict(kwargs, auto_session_tracking=True)
    ingest = None
    if not kwargs["debug"]:
        ingest = request.getfixturevalue("ingest")
        kwargs.update(endpoint=ingest.url, secret=ingest.secret)
    capsys.readouterr()
    dumpcatcher.init(**kwargs)
    try:
        raise ValueError("options vector")
    except ValueError as error:
        assert dumpcatcher.capture_exception(error) is not None
    assert dumpcatcher.report_usage() is not None
    dumpcatcher.end_session()
    assert dumpcatcher.flush(5.0) is True
    dumpcatcher.close()
    if ingest is not None:
        return {r.path: r.body or {} for r in ingest.delivered()}
    return dict(_debug_bodies(capsys.readouterr().err))


@pytest.mark.parametrize(
    "case,debug", OPTION_CASES, ids=["%s (debug: %s)" % (c["name"], d) for c, d in OPTION_CASES]
)
def test_options_vector(
    case: Dict[str, Any], debug: bool, tmp_path: Any, caplog: Any, capsys: Any, request: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable, value in case.get("env", {}).items():
        monkeypatch.setenv(variable, value)
    options = dict(OPTIONS["base"], **case.get("set", {}))
    for name in case.get("unset", []):
        del options[name]
    kwargs = {_snake(k): v for k, v in options.items()}
    for name in ("shutdown_timeout", "request_timeout"):  # seconds in Python, milliseconds in the vectors
        if name + "_ms" in kwargs:
            kwargs[name] = kwargs.pop(name + "_ms") / 1000.0
    kwargs.update(debug=debug, queue_dir=str(tmp_path), capture_uncaught=False)
    if case["valid"]:
        assert Options.from_kwargs(kwargs).debug is debug
        if "environment" in case:
            bodies = _one_of_each(kwargs, request, capsys)
            assert sorted(bodies) == ["/v1/crashes", "/v1/sessions", "/v1/usage"]
            for path, body in bodies.items():
                assert body.get("environment") == case["environment"], path
    else:
        with pytest.raises(OptionsError):
            Options.from_kwargs(kwargs)
        # What init() says of it: one WARNING naming the option, debug mode or not; flush() is False.
        caplog.set_level(logging.DEBUG, logger="dumpcatcher")
        dumpcatcher.init(**kwargs)
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "SDK disabled" in warnings[0]
        name = _snake(case["log"])
        assert (name[: -len("_ms")] if name in ("shutdown_timeout_ms", "request_timeout_ms") else name) in warnings[0]
        assert dumpcatcher.flush(0.1) is False


NOTICE_CASES: List[Tuple[Dict[str, Any], bool]] = [(n, d) for n in NOTICES["notices"] for d in (False, True)]


@pytest.mark.parametrize(
    "notice,debug", NOTICE_CASES, ids=["%s (debug: %s)" % (n["reason"], d) for n, d in NOTICE_CASES]
)
def test_notice_vector(notice: Dict[str, Any], debug: bool, caplog: Any, capsys: Any) -> None:
    caplog.set_level(logging.DEBUG, logger="dumpcatcher")
    dumpcatcher.log.set_echo(debug)
    try:
        for i in range(3):
            dumpcatcher.log.notice(notice["reason"], "%s (time %d)", notice["phrase"], i)
    finally:
        dumpcatcher.log.set_echo(False)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    expected = 3 if debug and notice["level"] == "warning" else 1 if notice["level"] == "warning" else 0
    assert len(warnings) == expected
    for message in warnings:
        assert notice["phrase"] in message
    # Debug mode prints each one on stderr, every time.
    printed = [line for line in capsys.readouterr().err.splitlines() if line.startswith("[dumpcatcher] ")]
    assert len(printed) == (3 if debug else 0)
    for line in printed:
        assert notice["phrase"] in line


@pytest.mark.parametrize("case", LOCALES["cases"], ids=[c["name"] for c in LOCALES["cases"]])
def test_locale_vector(case: Dict[str, Any]) -> None:
    assert process_locale(case["env"], lambda: case["default"]) == case["expected"]


QUEUE_READS = _cases(FILES["queue"]["read"], "files-v1.json: queue.read")


@pytest.mark.parametrize("case", QUEUE_READS, ids=[c["name"] for c in QUEUE_READS])
def test_queue_read_vector(case: Dict[str, Any], tmp_path: Any) -> None:
    path = tmp_path / case["fileName"]
    path.write_bytes(case["content"].encode("utf-8"))
    entry = Queue(str(tmp_path), 100, 10 << 20, 7 * 24 * 3600).load(case["fileName"])
    if case["valid"]:
        assert entry is not None
        actual = {"path": entry.path, "clientId": entry.client_id, "counter": entry.counter, "body": entry.body}
        assert actual == case["expect"]
        assert path.exists()
    else:
        assert entry is None
        assert not path.exists()


def test_queue_writes_the_shared_layout(tmp_path: Any) -> None:
    written = FILES["queue"]["written"]
    created = 1795334400.0  # 2026-11-22T08:00:00Z
    queue = Queue(str(tmp_path), 100, 10 << 20, 7 * 24 * 3600, clock=lambda: created)
    body = {"reportId": "r1", "nested": {"a": [1, "b"]}}
    name = queue.write("/v1/usage", "AbCdEfGh_123", 12, body)
    match = re.match(written["fileNamePattern"], name)
    assert match is not None and match.groups() == ("1795334400000", "AbCdEfGh_123", "12")
    with open(os.path.join(str(tmp_path), name), encoding="utf-8") as f:
        content = json.load(f)
    assert sorted(content) == sorted(written["keys"])
    assert content["v"] == written["v"]
    assert (content["path"], content["clientId"], content["counter"], content["body"]) == ("/v1/usage", "AbCdEfGh_123", 12, body)
    assert content["createdAt"].startswith("2026-11-22T08:00:00")
    assert os.listdir(str(tmp_path)) == [name]


LIMITER_CASES = _cases(FILES["limiter"]["cases"], "files-v1.json: limiter.cases")


@pytest.mark.parametrize("case", LIMITER_CASES, ids=[c["name"] for c in LIMITER_CASES])
def test_limiter_vector(case: Dict[str, Any], tmp_path: Any) -> None:
    path = tmp_path / "limiter.json"
    if case["file"] is not None:
        path.write_text(case["file"], encoding="utf-8")
    limiter = Limiter(str(path), case["max"], case["windowSeconds"], clock=lambda: case["nowMs"] / 1000.0)
    assert limiter.allow(case["fingerprint"]) is case["allowed"]
    limiter.save()
    assert json.loads(path.read_text(encoding="utf-8"))["windows"] == case["windowsAfter"]


FINGERPRINTS = _cases(FILES["limiter"]["fingerprints"], "files-v1.json: limiter.fingerprints")


@pytest.mark.parametrize("case", FINGERPRINTS, ids=[c["name"] for c in FINGERPRINTS])
def test_limiter_fingerprint_vector(case: Dict[str, Any]) -> None:
    assert local_fingerprint(case["type"], case["stacktrace"], case["given"]) == case["expected"]


def test_limiter_keeps_at_most_max_entries_dropping_the_window_that_started_first(tmp_path: Any) -> None:
    case = FILES["limiter"]["maxEntries"]
    windows = {"fp-%d" % i: {"start": case["nowMs"] - case["entries"] + i, "count": 1} for i in range(case["entries"])}
    path = tmp_path / "limiter.json"
    path.write_text(json.dumps({"v": 1, "windows": windows}), encoding="utf-8")
    limiter = Limiter(str(path), case["max"], case["windowSeconds"], clock=lambda: case["nowMs"] / 1000.0)
    assert limiter.allow(case["fingerprint"]) is True
    limiter.save()
    after = json.loads(path.read_text(encoding="utf-8"))["windows"]
    assert len(after) == case["entries"]
    assert "fp-0" not in after
    assert after["fp-1"] == {"start": case["nowMs"] - case["entries"] + 1, "count": 1}
    assert after[case["fingerprint"]] == {"start": case["nowMs"], "count": 1}


@pytest.mark.parametrize("case", ARCH_CASES, ids=[c["name"] for c in ARCH_CASES])
def test_arch_vector(case: Dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform, "machine", lambda: case["machine"])
    assert os_arch() == case["arch"]


SESSIONS = _load("sessions-v1.json")


def test_session_vectors_hold_cases_and_the_sdk_uses_their_background_rule() -> None:
    assert len(SESSIONS["cases"]) > 0
    assert BACKGROUND_SESSION_SECONDS * 1000 == SESSIONS["backgroundSessionMs"]


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


@pytest.mark.parametrize("case", SESSIONS["cases"], ids=[c["name"] for c in SESSIONS["cases"]])
def test_session_vector(case: Dict[str, Any]) -> None:
    book = SessionBook(Owner(case["app"]["name"], case["app"]["version"], case.get("installId")))
    reports: List[Dict[str, Any]] = []

    def out(part: Any) -> None:
        if part is not None:
            reports.append(part)

    for e in case["events"]:
        at = _seconds(e["at"]) if "at" in e else None
        kind = e["event"]
        if kind == "init":
            if case["autoSessionTracking"]:
                out(book.start(at))  # type: ignore[arg-type]
            # Read as the marker files they stand for, through the SDK's own marker parser.
            found = []
            for f in e.get("found", []):
                parsed = parse_marker(json.dumps(dict(f, v=1, writer={})))
                assert parsed is not None, f
                found.append(parsed[0])
            reports.extend(book.found(found))
        elif kind == "capture":
            book.mark_errored()
        elif kind == "uncaught":
            out(book.end("crashed"))
        elif kind in ("exit", "endSession"):
            out(book.end("ok"))
        elif kind == "startSession":
            out(book.start(at))  # type: ignore[arg-type]
        elif kind == "background":
            book.background(at)  # type: ignore[arg-type]
        elif kind == "foreground":
            out(book.foreground(at))  # type: ignore[arg-type]
        else:
            raise AssertionError("unknown event " + kind)
    assert reports == case["reports"]


BREADCRUMBS = _load("breadcrumbs-v1.json")
BREADCRUMB_CASES = _cases(BREADCRUMBS["cases"], "breadcrumbs-v1.json: cases")


@pytest.mark.parametrize("case", BREADCRUMB_CASES, ids=[c["name"] for c in BREADCRUMB_CASES])
def test_breadcrumbs_vector(case: Dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    context = BREADCRUMBS["context"]
    # The scrub context of the vectors: the home folder and the user name the Scrubber reads.
    monkeypatch.setenv("HOME", context["homeDir"])
    monkeypatch.setattr(dumpcatcher.scrub, "_current_user", lambda: context["userName"])
    options = dict(OPTIONS["base"], **case.get("options", {}), secret=context["secret"])
    sent: List[Dict[str, Any]] = []

    def keep(report: Dict[str, Any]) -> None:
        sent.append(report)  # and dropped: debug mode prints nothing then

    kwargs = {_snake(k): v for k, v in options.items()}
    kwargs.update(debug=True, capture_uncaught=False, auto_breadcrumbs=False, before_send=keep)
    dumpcatcher.init(**kwargs)
    for add in case["add"]:
        dumpcatcher.add_breadcrumb(**add)
    try:
        raise RuntimeError("breadcrumbs vector")
    except RuntimeError as error:
        dumpcatcher.capture_exception(error)
    [report] = sent
    if case["expected"] is None:
        assert "breadcrumbs" not in report
        return
    crumbs = report["breadcrumbs"]
    for crumb in crumbs:
        assert RFC3339_MS.match(crumb.pop("timestamp"))
    assert crumbs == case["expected"]


SOURCE = _load("source-context-v1.json")
SOURCE_CASES = _cases(SOURCE["cases"], "source-context-v1.json: cases")


@pytest.mark.parametrize("case", SOURCE_CASES, ids=[c["name"] for c in SOURCE_CASES])
def test_source_context_vector(case: Dict[str, Any], tmp_path: Any) -> None:
    context = SOURCE["context"]
    path = tmp_path / "source.py"
    path.write_bytes(case["text"].encode("utf-8"))  # bytes: CRLF stays CRLF
    reader = SourceContext(Scrubber(context["secret"], home=context["homeDir"], user=context["userName"]))
    assert reader.lines_around(str(path), case["line"]) == case["expected"]


FIT = _load("fit-v1.json")
FIT_CASES = _cases(FIT["cases"], "fit-v1.json: cases")


def _fit_report(parts: Dict[str, Any]) -> Dict[str, Any]:
    """The report a fit-v1.json case describes, built by the rules of the file's description."""
    report = json.loads(json.dumps(FIT["base"]))
    exception = report["exception"]
    char = parts.get("stacktraceChar", "s")
    exception["stacktrace"] = char * (parts["stacktraceBytes"] // len(char.encode("utf-8")))
    if "messageChars" in parts:
        exception["message"] = "m" * parts["messageChars"]
    for j in range(parts.get("sourceContextEntries", 0)):
        entry = {"file": "/app/src/file-%d.js" % j, "line": j + 1, "pre": ["p" * 200] * 2, "context": "c" * 200}
        exception.setdefault("sourceContext", []).append(dict(entry, post=["q" * 200] * 2))
    if "extraBytes" in parts:
        report["extra"] = {"blob": "e" * parts["extraBytes"]}
    spec = parts.get("breadcrumbs")
    if spec and spec["count"] > 0:
        char = spec.get("char", "b")
        report["breadcrumbs"] = []
        for i in range(spec["count"]):
            crumb: Dict[str, Any] = {"timestamp": report["occurredAt"], "category": "crumb-%d" % i, "level": "info"}
            if spec.get("messageChars"):
                crumb["message"] = char * spec["messageChars"]
            if spec.get("dataValues"):
                crumb["data"] = {"d%d" % k: char * spec["dataChars"] for k in range(spec["dataValues"])}
            report["breadcrumbs"].append(crumb)
    return report


@pytest.mark.parametrize("case", FIT_CASES, ids=[c["name"] for c in FIT_CASES])
def test_fit_vector(case: Dict[str, Any]) -> None:
    assert FIT["limitBytes"] == MAX_BODY_BYTES
    report = _fit_report(case["report"])
    original = json.loads(json.dumps(report))
    fitted, encoded = fit_body(report, encode_body(report))
    assert report == original, "the caller's report is not changed"
    assert encoded == encode_body(fitted)
    expected = case["expected"]
    assert (len(encoded) <= FIT["limitBytes"]) is expected["fits"]
    assert ("extra" in fitted) is expected["extra"]
    assert ("sourceContext" in fitted["exception"]) is expected["sourceContext"]
    count = case["report"].get("breadcrumbs", {}).get("count", 0)
    kept = [c["category"] for c in fitted.get("breadcrumbs", [])]
    assert kept == ["crumb-%d" % i for i in range(count - expected["breadcrumbs"], count)]
    assert "breadcrumbs" in fitted or expected["breadcrumbs"] == 0
    trace = original["exception"]["stacktrace"]
    cut = fitted["exception"]["stacktrace"]
    if expected["stacktrace"] == "whole":
        assert cut == trace
        return
    head, marker, omitted = cut.rpartition("\n\u2026 [truncated by dumpcatcher: ")
    assert marker and trace.startswith(head) and head != trace
    assert FIT["marker"] % (len(trace.encode("utf-8")) - len(head.encode("utf-8"))) == marker + omitted
    assert len(cut.encode("utf-8")) == expected["stacktraceBytes"] <= FIT["maxStacktraceBytes"]
