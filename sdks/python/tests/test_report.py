"""Report building: the traceback text is Python's own, even with the frame cache."""

import builtins
import traceback
from typing import List

import pytest

from dumpcatcher.report import exception_type_name, format_stacktrace, truncate_utf8
from dumpcatcher.scrub import EMAIL, scrub_emails


def level_three(value: str) -> int:
    return int(value)


def level_two(value: str) -> int:
    try:
        return level_three(value)
    except ValueError:
        return {"a": 1}["missing"]


def level_one(value: str) -> int:
    try:
        return level_two(value)
    except KeyError as error:
        raise RuntimeError("wrapped") from error


def raised() -> BaseException:
    try:
        level_one("x")
    except RuntimeError as error:
        return error
    raise AssertionError("level_one did not raise")


class TestStacktraceText:
    def test_equals_traceback_format_exception_with_cause_and_context(self) -> None:
        error = raised()
        expected = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        assert format_stacktrace(error) == expected
        assert format_stacktrace(error) == expected  # second call served from the frame cache
        assert "The above exception was the direct cause" in expected
        assert "During handling of the above exception" in expected

    def test_many_exceptions_from_one_place_format_identically(self) -> None:
        errors: List[BaseException] = [raised() for _ in range(5)]
        texts = {format_stacktrace(e) for e in errors}
        assert len(texts) == 1

    def test_exception_groups_match_too(self) -> None:
        group_type = getattr(builtins, "ExceptionGroup", None)  # Python 3.11+
        try:
            if group_type is not None:
                raise group_type("many", [raised(), ValueError("second")])
            raise raised()
        except Exception as group:  # noqa: BLE001
            expected = "".join(traceback.format_exception(type(group), group, group.__traceback__))
            assert format_stacktrace(group) == expected
            assert ("ExceptionGroup: many" in expected) == (group_type is not None)

    def test_type_names_are_module_qualified_except_builtins(self) -> None:
        class Local(Exception):
            pass

        assert exception_type_name(ValueError()) == "ValueError"
        assert exception_type_name(Local()) == "test_report.TestStacktraceText.test_type_names_are_module_qualified_except_builtins.<locals>.Local"

    def test_utf8_truncation_never_splits_a_character(self) -> None:
        text = "é" * 10
        cut = truncate_utf8(text, 5, " [%d omitted]")
        assert cut == "éé [16 omitted]"


class TestEmailScan:
    @pytest.mark.parametrize(
        "text",
        [
            "a.b+c@d-e.example.com said hi",
            "no at sign here",
            "@decorator.name on a line",
            "x@y",
            "two a@b.io and c_d@e.f.g",
            "a@b.c@d.e",
            "ünï@exämple.de",
            "trailing dot a@b.c.",
        ],
        ids=["plus and dash", "none", "decorator", "no dot", "two", "chained at", "unicode", "trailing dot"],
    )
    def test_matches_the_reference_pattern(self, text: str) -> None:
        assert scrub_emails(text) == EMAIL.sub("<email>", text)
