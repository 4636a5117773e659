"""Scrubbing of personal data and secrets before anything touches disk or stderr.

The rules are the shared table in docs/sdks.md#scrubbing, applied in the table's order: the
secret, the home folder, e-mail addresses, the user name, Bearer/Basic credentials, JWTs,
``name=value`` secrets, long tokens. Markers contain ``<`` ``>``, which no later pattern matches.
"""

import getpass
import os
import re
from typing import Any, Dict, List, Optional

JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
AUTH_SCHEME = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+")
# Each alternative starts with one of a few letters, so the engine can skip ahead quickly.
KEY_VALUE = re.compile(
    r"([pstaPSTA](?:assword|asswd|wd|ecret|oken|pi[_-]?key|ccess[_-]?key|uth))"
    r"([\"']?\s*[=:]\s*)"
    r"(\"[^\"]*\"|'[^']*'|[^\s\"',;&)}\]]+)",
    re.IGNORECASE,
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")  # the rule; applied as DOMAIN + a scan left
DOMAIN = re.compile(r"@[\w-]+(?:\.[\w-]+)+")
KEY_HINTS = ("pass", "pwd", "secret", "token", "api", "access", "auth")
LONG_RUN = re.compile(r"[A-Za-z0-9+/_=-]{32,}")
_LETTER = re.compile(r"[A-Za-z]")
_DIGIT = re.compile(r"[0-9]")


def _judge_run(text: str) -> str:
    if len(text) >= 32 and _LETTER.search(text) and _DIGIT.search(text):
        return "<token>"
    return text


def _long_token(match: "re.Match[str]") -> str:
    text = match.group(0)
    if text.startswith("/"):
        # A file path (stack traces are full of them): judge each segment on its own, so a
        # release folder like /srv/app/releases/20261122/dist stays readable.
        return "/".join(_judge_run(segment) for segment in text.split("/"))
    return _judge_run(text)


def _is_local_part_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_.+-"


def scrub_emails(text: str) -> str:
    """EMAIL.sub without its quadratic scan: find each ``@domain``, then walk left."""
    if "@" not in text:
        return text
    out: List[str] = []
    last = 0
    for match in DOMAIN.finditer(text):
        start = match.start()
        begin = start
        while begin > last and _is_local_part_char(text[begin - 1]):
            begin -= 1
        if begin == start:
            continue  # no local part: not an address
        out.append(text[last:begin])
        out.append("<email>")
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def _key_value(match: "re.Match[str]") -> str:
    value = match.group(3)
    quote = value[0] if value[0] in "\"'" else ""
    return match.group(1) + match.group(2) + quote + "<redacted>" + quote


def _auth_scheme(match: "re.Match[str]") -> str:
    return match.group(1) + " <redacted>"


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
        self._secret = secret
        self._secret_pattern = re.compile(re.escape(secret)) if secret else None
        home = home.rstrip("/\\")
        self._home = home if len(home) > 1 else None
        self._home_pattern = re.compile(re.escape(home) + r"(?![\w.-])")
        self._user = user if user and len(user) >= 3 else None
        # The literal comes first (fast search); the look-behind after it checks the word start.
        escaped = re.escape(user or "")
        self._user_pattern = re.compile(escaped + r"(?<!\w" + escaped + r")(?!\w)")

    def text(self, value: str) -> str:
        """One string with every rule applied, in the table's order (cheap tests gate each rule)."""
        if self._secret_pattern is not None and self._secret in value:
            value = self._secret_pattern.sub("<redacted>", value)
        if self._home is not None and self._home in value:
            value = self._home_pattern.sub("~", value)
        value = scrub_emails(value)
        if self._user is not None and self._user in value:
            value = self._user_pattern.sub("<user>", value)
        if "Bearer" in value or "Basic" in value:
            value = AUTH_SCHEME.sub(_auth_scheme, value)
        if "eyJ" in value:
            value = JWT.sub("<token>", value)
        lower = value.lower()
        if any(hint in lower for hint in KEY_HINTS):
            value = KEY_VALUE.sub(_key_value, value)
        return LONG_RUN.sub(_long_token, value)

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


