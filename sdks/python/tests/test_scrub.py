"""Scrubbing of personal data and secrets, and that it happens before the disk."""

import json
import os
import time
from typing import Callable

import pytest

from conftest import SECRET, report_files
from dumpcatcher import Client, RetryPolicy
from dumpcatcher.scrub import Scrubber, _current_user

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


class TestHostileInput:
    @pytest.mark.parametrize(
        "text",
        [
            "a" * 1_000_000,
            "a" * 1_000_000 + "@",
            "a.b+" * 250_000 + "@x",
            "@" + "a" * 999_999,
            "token " * 170_000,
            "password" + " " * 999_000,
            "Bearer " * 140_000,
            "a1" * 500_000,
            "/" + "a1/" * 330_000,
            "alicew " * 140_000,
        ],
        ids=["word run", "word run then at", "local part run", "domain run", "many names", "name then spaces",
             "many schemes", "long mixed run", "long path", "many user names"],
    )
    def test_a_megabyte_of_hostile_text_is_scrubbed_quickly(self, scrubber: Scrubber, text: str) -> None:
        started = time.perf_counter()
        out = scrubber.text(text)
        assert time.perf_counter() - started < 2.0
        assert isinstance(out, str) and out != ""


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
