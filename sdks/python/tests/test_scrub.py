"""Scrubbing of personal data and secrets, and that it happens before the disk."""

import json
import os
import random
import re
import time
from typing import Callable, List

import pytest

from conftest import SECRET, report_files
from dumpcatcher import Client, RetryPolicy
from dumpcatcher.scrub import Scrubber, _current_user, scrub_jwts

HOME = "/home/alice.example"
USER = "alicew"


@pytest.fixture
def scrubber() -> Scrubber:
    return Scrubber(SECRET, home=HOME, user=USER)


class TestScrubberRules:
    @pytest.mark.parametrize(
        "raw, expected",
        [
            ('File "/home/alice.example/app/main.py", line 3', 'File "~/app/main.py", line 3'),
            ("/home/alice.example.old/x stays", "/home/alice.example.old/x stays"),
            ("login failed for alicew today", "login failed for <user> today"),
            ("malicewicz is another word", "malicewicz is another word"),
            ("mail bob.smith+tag@mail.example.co.uk now", "mail <email> now"),
            ("password=hunter2 and more", "password=<redacted> and more"),
            ('{"api_key": "abc123"}', '{"api_key": "<redacted>"}'),
            ("access_token: 9f8e7d", "access_token: <redacted>"),
            ("Authorization: Bearer abc.def-123", "Authorization: Bearer <redacted>"),
            ("Basic dXNlcjpwYXNz", "Basic <redacted>"),
            ("basic setup failed", "basic setup failed"),
            ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl end", "jwt <token> end"),
            ("key AKIA0123456789ABCDEFGHIJKLMNOPQRSTUV end", "key <token> end"),
            ("at /srv/app/releases/20261122/dist/server_build_output_2026.py", "at /srv/app/releases/20261122/dist/server_build_output_2026.py"),
            ("GET /api/v1/reset/9f8e7d6c5b4a39281706f5e4d3c2b1a0ZZ/done", "GET /api/v1/reset/<token>/done"),
            ("mail alicew@example.com", "mail <email>"),
            ("only letters abcdefghijklmnopqrstuvwxyzabcdefghijkl stay", "only letters abcdefghijklmnopqrstuvwxyzabcdefghijkl stay"),
            ("the secret sk-test-S3cr3t-value-do-not-log leaked", "the secret <redacted> leaked"),
        ],
        ids=[
            "home directory",
            "home directory prefix of another folder",
            "user name as a word",
            "user name inside a word",
            "e-mail address",
            "password assignment",
            "quoted api key",
            "access token colon",
            "bearer token",
            "basic credentials",
            "the word basic in prose",
            "jwt",
            "long mixed run",
            "a file path is judged per segment",
            "a token inside a url path",
            "e-mail before the user name",
            "long letters-only run",
            "the product secret",
        ],
    )
    def test_rule(self, scrubber: Scrubber, raw: str, expected: str) -> None:
        assert scrubber.text(raw) == expected

    def test_the_real_home_and_user_are_the_defaults(self) -> None:
        home = os.path.expanduser("~")
        scrubbed = Scrubber(SECRET).text("at %s/project/app.py" % home)
        assert scrubbed == "at ~/project/app.py"
        user = _current_user()  # None where the uid has no name (some containers)
        if user is not None and len(user) >= 3:
            assert Scrubber(SECRET, home="/nowhere").text("by %s." % user) == "by <user>."

    def test_report_fields_and_nested_extra_are_scrubbed(self, scrubber: Scrubber) -> None:
        report = {
            "exception": {"type": "E", "message": "for a@b.io", "stacktrace": "%s/x.py" % HOME},
            "label": "alicew screen",
            "tags": {"who": "c@d.io"},
            "extra": {"list": [{"deep": "token=zz"}], "n": 3},
        }
        out = scrubber.report(report)
        assert out["exception"] == {"type": "E", "message": "for <email>", "stacktrace": "~/x.py"}
        assert out["label"] == "<user> screen"
        assert out["tags"] == {"who": "<email>"}
        assert out["extra"] == {"list": [{"deep": "token=<redacted>"}], "n": 3}
        assert report["label"] == "alicew screen"  # the input is not modified


def _random_text(rng: random.Random, parts: List[str], max_parts: int) -> str:
    return "".join(rng.choice(parts) for _ in range(rng.randint(1, max_parts)))


class TestNameValueRule:
    @pytest.mark.parametrize(
        "raw, expected",
        [
            ("Config(pwd=d) [token=x] {auth=y}", "Config(pwd=<redacted>) [token=<redacted>] {auth=<redacted>}"),
            ("password='a b' token=\"c\"", "password='<redacted>' token=\"<redacted>\""),
            ("token=<redacted>tail", "token=<redacted>"),
            ("password=a,b;c&d", "password=<redacted>,b;c&d"),
            ("APIKEY : v1 Access-Key=v2", "APIKEY : <redacted> Access-Key=<redacted>"),
            ("pass tassword=x suth=y", "pass tassword=x suth=y"),
            ("secret \u017fecret=x", "secret \u017fecret=x"),
            ("token=a\u00a0b", "token=<redacted>"),
            ("token\u00a0=x", "token\u00a0=x"),
            ("password= ", "password= "),
            ('token="unterminated', 'token="unterminated'),
        ],
        ids=[
            "a bare value stops at ) ] }",
            "quoted values keep their quotes",
            "a value already starting with <redacted> is redacted whole",
            "a bare value stops at , ; &",
            "names in any ASCII case, with or without _ or -",
            "only the listed names, not look-alikes",
            "no Unicode case folding of the names",
            "only ASCII white space ends a bare value",
            "only ASCII white space may stand before the =",
            "no value, nothing to redact",
            "an unterminated quote is no value",
        ],
    )
    def test_rule(self, scrubber: Scrubber, raw: str, expected: str) -> None:
        assert scrubber.text(raw) == expected


class TestJwtRule:
    # The rule of docs/sdks.md as a regex (\b as in ASCII), which scrub_jwts applies in linear time.
    WRITTEN = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", re.ASCII)

    def test_the_linear_scan_gives_what_the_written_pattern_gives(self) -> None:
        parts = ["eyJ", "e", "yJ", "a", "9", "_", "-", ".", " ", "x.y", "eyJa.b.c", "/", "\u00e9"]
        rng = random.Random(11)
        for _ in range(50_000):
            text = _random_text(rng, parts, 12)
            assert scrub_jwts(text) == self.WRITTEN.sub("<token>", text), text

    def test_a_non_ascii_letter_before_it_is_a_word_start(self, scrubber: Scrubber) -> None:
        assert scrubber.text("\u00e9eyJa.b.c") == "\u00e9<token>"


# Name, input, what the output starts with, what it ends with. The same inputs as
# sdks/java/src/test/java/dev/dumpcatcher/ScrubberHostileInputTest.java and sdks/node/test/scrub.test.ts.
_RUN = "a" * 500_000 + "@" + "b" * 500_000
HOSTILE = [
    ("word run", "a" * 1_000_000, "aaa", "aaa"),
    ("word run then at", "a" * 1_000_000 + "@", "aaa", "a@"),
    ("local part run", "a.b+" * 250_000 + "@x", "a.b+", "+@x"),
    ("domain run", "@" + "a" * 999_999, "@aaa", "aaa"),
    ("many names", "token " * 170_000, "token token", "token "),
    ("name then spaces", "password" + " " * 999_000, "password ", "   "),
    ("many schemes", "Bearer " * 140_000, "Bearer <redacted> Bearer <redacted> ", "<redacted> "),
    ("long mixed run", "a1" * 500_000, "<token>", "<token>"),
    ("long path", "/" + "a1/" * 330_000, "/a1/a1/", "a1/"),
    ("many user names", "alicew " * 140_000, "<user> <user> ", "<user> "),
    ("word runs around an at, then a password", _RUN + " password=" + "c" * 10_000, "aaa", "b password=<redacted>"),
    ("many JWT starts after dashes", "eyJ-" * 250_000, "eyJ-eyJ-", "eyJ-"),
    ("many JWT starts after dashes, then a dot", "eyJ-" * 250_000 + ".", "eyJ-eyJ-", "eyJ-."),
    ("many JWT starts after dashes, then two dots", "eyJ-" * 250_000 + ".a.b", "<token>", "<token>"),
    ("many JWT starts after dots", "eyJa." * 200_000, "<token>.<token>.", "<token>"),
    ("many JWT starts after spaces", "eyJ " * 250_000, "eyJ eyJ ", "eyJ "),
    ("many JWT starts inside a word", "xeyJ" * 250_000, "xeyJxeyJ", "xeyJ"),
    ("many JWT headers without a payload", "eyJa.." * 166_000, "eyJa..eyJa..", "eyJa.."),
    ("name, spaces, equals, spaces", "password" + " " * 500_000 + "=" + " " * 500_000, "password ", "   "),
    ("many names with an open quote", 'token="' * 140_000, 'token="<redacted>"token="<redacted>"', 'token="<redacted>"'),
    ("many homes", "/home/alice.example" * 50_000, "~~~", "~~"),
    ("many home prefixes", "/home/alice.exampleX" * 50_000, "/home/alice.exampleX/home", "eX"),
    ("many addresses sharing dots", "x@a." * 250_000, "<email>@<email>", "."),
    ("many domains without local part", "@a-" * 330_000, "@a-@a-", "@a-"),
    ("many short paths", ("/" + "a1" * 16 + " ") * 31_250, "/<token> /<token> ", "/<token> "),
    ("dotted word run then at", "a." * 500_000 + "@", "a.a.", ".@"),
]


class TestHostileInput:
    """A megabyte an attacker may shape (an exception message quoting a request) is scrubbed in
    linear time: well under a second here, where a quadratic rule takes minutes. The bound is generous."""

    @pytest.mark.parametrize("name, text, starts, ends", HOSTILE, ids=[row[0] for row in HOSTILE])
    def test_a_megabyte_of_hostile_text_is_scrubbed_quickly(
        self, scrubber: Scrubber, name: str, text: str, starts: str, ends: str
    ) -> None:
        started = time.perf_counter()
        out = scrubber.text(text)
        assert time.perf_counter() - started < 5.0
        assert out.startswith(starts), out[:60]
        assert out.endswith(ends), out[-60:]


class TestExtraKeys:
    def test_keys_are_scrubbed_at_every_depth(self, scrubber: Scrubber) -> None:
        extra = {"bob@example.com": 1, "nested": {"%s/.cache" % HOME: [{"token=abc": True}]}}
        assert scrubber.value(extra) == {"<email>": 1, "nested": {"~/.cache": [{"token=<redacted>": True}]}}

    def test_keys_that_scrub_alike_are_all_kept_with_a_number(self, scrubber: Scrubber) -> None:
        extra = {"a@x.io": 1, "b@x.io": 2, "<email>": 3, "c@x.io": 4}
        assert list(scrubber.value(extra).items()) == [("<email>", 1), ("<email>#2", 2), ("<email>#3", 3), ("<email>#4", 4)]

    def test_a_number_already_taken_by_a_key_is_skipped(self, scrubber: Scrubber) -> None:
        extra = {"<email>#2": "kept", "a@x.io": 1, "b@x.io": 2}
        assert scrubber.value(extra) == {"<email>#2": "kept", "<email>": 1, "<email>#3": 2}

    def test_many_keys_that_scrub_alike_take_linear_time(self, scrubber: Scrubber) -> None:
        extra = {"user%d@example.com" % i: i for i in range(50_000)}
        started = time.perf_counter()
        out = scrubber.value(extra)
        assert time.perf_counter() - started < 5.0
        assert len(out) == 50_000 and out["<email>"] == 0 and out["<email>#50000"] == 49_999

    def test_the_report_keeps_both_values(self, scrubber: Scrubber) -> None:
        out = scrubber.report({"extra": {"alicew": "first", "<user>": "second"}})
        assert out["extra"] == {"<user>": "first", "<user>#2": "second"}


class TestScrubbedBeforeDisk:
    def test_the_queue_file_never_holds_the_secret_email_or_home(
        self, make_client: Callable[..., Client], queue_dir: str
    ) -> None:
        home = os.path.expanduser("~")
        client = make_client(policy=RetryPolicy(base=30, cap=30, max_attempts=1), endpoint="http://127.0.0.1:9")
        try:
            raise RuntimeError("user carol@example.com used %s with secret %s" % (home, SECRET))
        except RuntimeError:
            client.capture_exception(extra={"config": {"path": home + "/.app", "pwd": "pwd=open-sesame"}})
        [name] = report_files(queue_dir)
        with open(os.path.join(queue_dir, name), "r", encoding="utf-8") as handle:
            text = handle.read()
        record = json.loads(text)
        assert SECRET not in text
        assert "carol@example.com" not in text
        assert "open-sesame" not in text
        message = record["body"]["exception"]["message"]
        assert message == "user <email> used ~ with secret <redacted>"
        assert record["body"]["extra"]["config"]["path"] == "~/.app"
