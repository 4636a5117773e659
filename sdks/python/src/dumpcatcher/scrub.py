"""Scrubbing of personal data and secrets before anything touches disk or stderr.

The rules are the shared table in docs/privacy.md#scrubbing, applied in the table's order: the
secret, the home folder, e-mail addresses, the user name, Bearer/Basic credentials, JWTs,
``name=value`` secrets, long tokens. Markers contain ``<`` ``>``, which no later pattern matches.
"""

import getpass
import os
import re
import unicodedata
from typing import Any, Dict, List, Mapping, Optional

# The JWT rule is \beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]* (\b as in ASCII); as a regex,
# every "eyJ" after a "-" in a long run ("eyJ-eyJ-...") rescans the run to its end, so it is
# applied by scrub_jwts, which reads each run once (same result, linear).
JWT_PART = re.compile(r"[A-Za-z0-9_-]*")
ASCII_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
# ASCII word boundary and white space, as in the JWT and name=value rules (docs/privacy.md).
AUTH_SCHEME = re.compile(r"(?<![A-Za-z0-9_])(Bearer|Basic)[ \t\n\v\f\r]+[A-Za-z0-9._~+/=-]+")
# The name=value rule of docs/sdks.md. re.ASCII: \s is the six ASCII white-space characters and
# case is ignored for ASCII letters only, as in the Node and Java SDKs. The names are grouped by
# first letter so that the engine can skip ahead quickly.
KEY_VALUE = re.compile(
    r"([pP](?:assword|asswd|wd)|[sS]ecret|[tT]oken|[aA](?:pi[_-]?key|ccess[_-]?key|uth))"
    r"([\"']?\s*[=:]\s*)"
    r"(\"[^\"]*\"|'[^']*'|[^\s\"',;&)}\]]+)",
    re.IGNORECASE | re.ASCII,
)
# The e-mail rule is [\w.+-]+@[\w-]+(\.[\w-]+)+ with the contract's Unicode \w: a letter, mark or
# number of any script, or "_" (docs/privacy.md). Python's \w has no marks (the vowel signs of
# Devanagari, a decomposed accent), so runs are read by _word_run_end: the regex for the bulk,
# unicodedata for a mark. Applied as "@domain, then a walk left" (linear, same result).
_WORDISH_RUN = re.compile(r"[\w-]*")
# The rule as a regex, for tests: the same result as scrub_emails on text without combining marks.
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
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


def is_word_char(ch: str) -> bool:
    """The contract's Unicode \\w: a letter, mark or number of any script, or ``_``."""
    return ch == "_" or ch.isalnum() or unicodedata.category(ch)[0] in "LMN"


def _is_local_part_char(ch: str) -> bool:
    return ch in ".+-" or is_word_char(ch)


def _word_run_end(text: str, start: int) -> int:
    """End of the run of ``[\\w-]`` (contract \\w) that starts at ``start``."""
    size = len(text)
    end = start
    while True:
        end = _WORDISH_RUN.match(text, end).end()  # type: ignore[union-attr]
        if end < size and unicodedata.category(text[end])[0] == "M":
            end += 1
            continue
        return end


def _domain_end(text: str, at: int) -> int:
    """Where ``@[\\w-]+(\\.[\\w-]+)+`` that starts at ``at`` ends, or -1."""
    end = _word_run_end(text, at + 1)
    if end == at + 1:
        return -1
    found = -1
    size = len(text)
    while end < size and text[end] == ".":
        after = _word_run_end(text, end + 1)
        if after == end + 1:
            break
        found = end = after
    return found


def scrub_emails(text: str) -> str:
    """The e-mail rule without its quadratic scan: find each ``@domain``, then walk left."""
    if "@" not in text:
        return text
    out: List[str] = []
    last = 0
    at = text.find("@")
    while at >= 0:
        end = _domain_end(text, at)
        if end < 0:
            at = text.find("@", at + 1)
            continue
        begin = at
        while begin > last and _is_local_part_char(text[begin - 1]):
            begin -= 1
        if begin == at:
            # No local part: not an address; the search goes on after this @domain, as a regex would.
            at = text.find("@", end)
            continue
        out.append(text[last:begin])
        out.append("<email>")
        last = end
        at = text.find("@", end)
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _replace_words(text: str, word: str, marker: str, whole_word: bool, may_follow: str = "") -> str:
    """``word`` replaced by ``marker`` where no word character (contract \\w) or one of
    ``may_follow`` comes after it, and, when ``whole_word``, none comes before it."""
    out: List[str] = []
    last = 0
    size = len(word)
    at = text.find(word)
    while at >= 0:
        after = at + size
        before_ok = not whole_word or at == 0 or not is_word_char(text[at - 1])
        after_ok = after == len(text) or not (is_word_char(text[after]) or text[after] in may_follow)
        if before_ok and after_ok:
            out.append(text[last:at])
            out.append(marker)
            last = after
            at = text.find(word, after)
        else:
            at = text.find(word, at + 1)
    if not out:
        return text
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
        self._user = user if user and len(user) >= 3 else None

    def text(self, value: str) -> str:
        """One string with every rule applied, in the table's order (cheap tests gate each rule)."""
        if self._secret_pattern is not None and self._secret in value:
            value = self._secret_pattern.sub("<redacted>", value)
        if self._home is not None and self._home in value:
            # Only where a file name cannot go on: not before a word character, "." or "-".
            value = _replace_words(value, self._home, "~", False, ".-")
        value = scrub_emails(value)
        if self._user is not None and self._user in value:
            value = _replace_words(value, self._user, "<user>", True)
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
        """The scrubbed copy of a crash or usage report (fields from docs/privacy.md#scrubbing)."""
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


