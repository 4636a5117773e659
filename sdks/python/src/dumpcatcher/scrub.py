"""Scrubbing of personal data and secrets before anything touches disk or stderr.

The rules are the shared table in docs/sdks.md#scrubbing; they run in a fixed order so that a
rule never sees the marker another rule left (markers contain ``<`` ``>``, which no pattern
matches).
"""

import getpass
import os
import re
from typing import Any, Dict, List, Optional, Pattern, Tuple

JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
AUTH_SCHEME = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
KEY_VALUE = re.compile(
    r"(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth)"
    r"([\"']?\s*[=:]\s*)"
    r"(\"[^\"]*\"|'[^']*'|[^\s\"',;&)}\]]+)",
    re.IGNORECASE,
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
LONG_RUN = re.compile(r"[A-Za-z0-9+/_=-]{32,}")
_LETTER = re.compile(r"[A-Za-z]")
_DIGIT = re.compile(r"[0-9]")


def _long_token(match: "re.Match[str]") -> str:
    text = match.group(0)
    if _LETTER.search(text) and _DIGIT.search(text):
        return "<token>"
    return text


def _key_value(match: "re.Match[str]") -> str:
    value = match.group(3)
    quote = value[0] if value[0] in "\"'" else ""
    return match.group(1) + match.group(2) + quote + "<redacted>" + quote


def _current_user() -> Optional[str]:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name is fine
        return None


class Scrubber:
    """Replaces the home folder, user name, e-mails, tokens and the secret in report strings."""

    def __init__(self, secret: str, home: Optional[str] = None, user: Optional[str] = None) -> None:
        home = os.path.expanduser("~") if home is None else home
        user = _current_user() if user is None else user
        rules: List[Tuple[Pattern[str], Any]] = []
        if secret:
            rules.append((re.compile(re.escape(secret)), "<redacted>"))
        rules.append((JWT, "<token>"))
        rules.append((AUTH_SCHEME, lambda m: m.group(1) + " <redacted>"))
        rules.append((KEY_VALUE, _key_value))
        rules.append((EMAIL, "<email>"))
        home = home.rstrip("/\\")
        if len(home) > 1:
            rules.append((re.compile(re.escape(home) + r"(?![A-Za-z0-9_.-])"), "~"))
        if user and len(user) >= 3:
            rules.append((re.compile(r"(?<![A-Za-z0-9_])" + re.escape(user) + r"(?![A-Za-z0-9_])"), "<user>"))
        rules.append((LONG_RUN, _long_token))
        self._rules = rules

    def text(self, value: str) -> str:
        """One string with every rule applied."""
        for pattern, replacement in self._rules:
            value = pattern.sub(replacement, value)
        return value

    def value(self, value: Any) -> Any:
        """Any JSON value: strings scrubbed, containers walked (keys too)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(item) for item in value]
        return value

    def report(self, report: Dict[str, Any]) -> Dict[str, Any]:
        """The scrubbed copy of a crash or usage report (fields from docs/sdks.md#scrubbing)."""
        out = dict(report)
        exception = out.get("exception")
        if isinstance(exception, dict):
            exception = dict(exception)
            for key in ("message", "stacktrace"):
                if isinstance(exception.get(key), str):
                    exception[key] = self.text(exception[key])
            out["exception"] = exception
        if isinstance(out.get("label"), str):
            out["label"] = self.text(out["label"])
        if isinstance(out.get("tags"), dict):
            out["tags"] = {k: self.text(v) if isinstance(v, str) else v for k, v in out["tags"].items()}
        if "extra" in out:
            out["extra"] = self.value(out["extra"])
        return out


