"""The conformance vectors shared with the Node and Java SDKs (test/vectors/)."""

import json
import os
import re
from typing import Any, Dict, List, Tuple

import pytest

from dumpcatcher.options import Options, OptionsError
from dumpcatcher.scrub import Scrubber
from dumpcatcher.transport import CLOCK_FIX, classify_answer

VECTORS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "test", "vectors")


def _load(name: str) -> Dict[str, Any]:
    with open(os.path.join(VECTORS, name), encoding="utf-8") as f:
        return json.load(f)  # type: ignore[no-any-return]


SCRUB = _load("scrub-v1.json")
ANSWERS = _load("answers-v1.json")
OPTIONS = _load("options-v1.json")


@pytest.mark.parametrize("case", SCRUB["cases"], ids=[c["name"] for c in SCRUB["cases"]])
def test_scrub_vector(case: Dict[str, Any]) -> None:
    context = case.get("context", SCRUB["context"])
    scrubber = Scrubber(context["secret"], home=context["homeDir"], user=context["userName"])
    assert scrubber.text(case["input"]) == case["expected"]


@pytest.mark.parametrize("case", ANSWERS["cases"], ids=[c["name"] for c in ANSWERS["cases"]])
def test_answer_vector(case: Dict[str, Any]) -> None:
    headers = {k.lower(): v for k, v in case["headers"].items()}
    decision = classify_answer(case["status"], headers, case["nowMs"] / 1000.0, case["clockOffsetMs"] / 1000.0)
    actual: Dict[str, Any] = {"action": "clockFix" if decision.action == CLOCK_FIX else decision.action}
    if decision.action == "retry":
        actual["retryAfterMs"] = None if decision.retry_after is None else round(decision.retry_after * 1000)
    if decision.action == CLOCK_FIX:
        assert decision.clock_offset is not None
        actual["clockOffsetMs"] = round(decision.clock_offset * 1000)
    assert actual == case["expect"]


def _snake(name: str) -> str:
    return re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), name)


OPTION_CASES: List[Tuple[Dict[str, Any], bool]] = [(c, d) for c in OPTIONS["cases"] for d in (False, True)]


@pytest.mark.parametrize(
    "case,debug", OPTION_CASES, ids=["%s (debug: %s)" % (c["name"], d) for c, d in OPTION_CASES]
)
def test_options_vector(case: Dict[str, Any], debug: bool, tmp_path: Any) -> None:
    options = dict(OPTIONS["base"], **case.get("set", {}))
    for name in case.get("unset", []):
        del options[name]
    kwargs = {_snake(k): v for k, v in options.items()}
    kwargs.update(debug=debug, queue_dir=str(tmp_path), capture_uncaught=False)
    if case["valid"]:
        assert Options.from_kwargs(kwargs).debug is debug
    else:
        with pytest.raises(OptionsError):
            Options.from_kwargs(kwargs)
