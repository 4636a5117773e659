"""Scrubbing of personal data and secrets before anything touches disk or stderr.

The rules are the shared table in docs/sdks.md#scrubbing, applied in the table's order: the
secret, the home folder, e-mail addresses, the user name, Bearer/Basic credentials, JWTs,
``name=value`` secrets, long tokens. Markers contain ``<`` ``>``, which no later pattern matches.
"""

import getpass
import os
import re
from typing import Any, Dict, List, Mapping, Optional

# The JWT rule is \beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]* (\b as in ASCII); as a regex,
# every "eyJ" after a "-" in a long run ("eyJ-eyJ-...") rescans the run to its end, so it is
# applied by scrub_jwts, which reads each run once (same result, linear).
JWT_PART = re.compile(r"[A-Za-z0-9_-]*")
ASCII_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
AUTH_SCHEME = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+")
# The name=value rule of docs/sdks.md. re.ASCII: \s is the six ASCII white-space characters and
# case is ignored for ASCII letters only, as in the Node and Java SDKs. The names are grouped by
# first letter so that the engine can skip ahead quickly.
KEY_VALUE = re.compile(
    r"([pP](?:assword|asswd|wd)|[sS]ecret|[tT]oken|[aA](?:pi[_-]?key|ccess[_-]?key|uth))"
    r"([\"']?\s*[=:]\s*)"
    r"(\"[^\"]*\"|'[^']*'|[^\s\"',;&)}\]]+)",
    re.IGNORECASE | re.ASCII,
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


def _jwt_run_end(text: str, start: int) -> int:
    match = JWT_PART.match(text, start)
    return match.end() if match else start


def scrub_jwts(text: str) -> str:
    """The JWT rule in linear time: each "eyJ" at a word start, then its three runs read once."""
    out: List[str] = []
    last = 0
    size = len(text)
    at = text.find("eyJ")
    while at >= 0:
        if at > 0 and text[at - 1] in ASCII_WORD:
            at = text.find("eyJ", at + 1)
            continue
        header = _jwt_run_end(text, at + 3)
        if header < size and text[header] == ".":
            payload = _jwt_run_end(text, header + 1)
            if header + 1 < payload < size and text[payload] == ".":
                end = _jwt_run_end(text, payload + 1)
                out.append(text[last:at])
                out.append("<token>")
                last = end
                at = text.find("eyJ", end)
                continue
        # Any later "eyJ" inside the same header run ends where this one did, and fails the same way.
        at = text.find("eyJ", header)
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _key_value(match: "re.Match[str]") -> str:
    value = match.group(3)
    quote = value[0] if value[0] in "\"'" else ""
    return match.group(1) + match.group(2) + quote + "<redacted>" + quote


def unique_key(taken: Mapping[Any, Any], key: str, next_number: Dict[str, int]) -> str:
    """``key``, or the first of ``key#2``, ``key#3``... not in ``taken``: two keys that scrub to
    the same text (two addresses become ``<email>``) must not lose a value. ``next_number``
    remembers where each search stopped, so that many equal keys cost linear time."""
    if key not in taken:
        return key
    number = next_number.get(key, 2)
    while "%s#%d" % (key, number) in taken:
        number += 1
    next_number[key] = number + 1
    return "%s#%d" % (key, number)


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
            value = scrub_jwts(value)
        lower = value.lower()
        if any(hint in lower for hint in KEY_HINTS):
            value = KEY_VALUE.sub(_key_value, value)
        return LONG_RUN.sub(_long_token, value)

    def value(self, value: Any) -> Any:
        """Any JSON value: strings scrubbed, containers walked (keys too, kept apart by #2, #3...)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            out: Dict[Any, Any] = {}
            next_number: Dict[str, int] = {}
            for key, item in value.items():
                if isinstance(key, str):
                    key = unique_key(out, self.text(key), next_number)
                out[key] = self.value(item)
            return out
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


