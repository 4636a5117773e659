"""Source context (docs/sdks.md#source-context): the lines of code around in-app frames.

At capture time the files of up to MAX_FRAMES in-app frames of the whole exception chain
(innermost first) are read, at most 1 MiB each and cached by path for the process, and each
frame gets ``{file, line, pre, context, post}``: up to 2 lines either side, scrubbed, cut to
200 characters. Checked against test/vectors/source-context-v1.json.
"""

import os
import sysconfig
import threading
from collections import OrderedDict
from types import TracebackType
from typing import Any, Dict, List, Optional, Set, Tuple

from .scrub import Scrubber

MAX_FRAMES = 20
LINES_AROUND = 2
MAX_LINE = 200
MAX_FILE_BYTES = 1024 * 1024
MAX_FILE = 1024  # the protocol's limit on `file`
MAX_CACHED_FILES = 64
MAX_CACHED_CHARS = 16 * 1024 * 1024
MAX_CACHED_ENTRIES = 1024

Entry = Dict[str, Any]
Lines = Optional[List[str]]


def _library_dirs() -> Tuple[str, ...]:
    dirs: Set[str] = set()
    for key in ("stdlib", "platstdlib"):
        try:
            path = sysconfig.get_paths()[key]
        except (KeyError, OSError):
            continue
        dirs.add(os.path.join(os.path.realpath(path), ""))
        dirs.add(os.path.join(os.path.abspath(path), ""))
    return tuple(sorted(dirs))


_LIBRARY_DIRS = _library_dirs()
_PACKAGE_DIRS = ("site-packages", "dist-packages")


def is_in_app(filename: str) -> bool:
    """Not Python's own library, not an installed package, not code without a file (``<string>``)."""
    if not filename or filename.startswith("<"):
        return False
    parts = filename.replace("\\", "/").split("/")
    if any(p in _PACKAGE_DIRS for p in parts):
        return False
    return not os.path.abspath(filename).startswith(_LIBRARY_DIRS)


def split_lines(text: str) -> List[str]:
    """The lines of ``text`` without their endings (LF or CRLF); a final newline ends the last line."""
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def chain_frames(exc: BaseException) -> List[Tuple[str, int]]:
    """``(file, line)`` of every frame of ``exc`` and the exceptions chained to it, each
    exception's innermost frame first; the reported exception first, then its group members,
    then its cause (or its context, as the traceback shows it)."""
    out: List[Tuple[str, int]] = []
    seen: Set[int] = set()
    pending: List[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        frames = []
        tb: Optional[TracebackType] = current.__traceback__
        while tb is not None:
            line = tb.tb_lineno
            if isinstance(line, int):
                frames.append((tb.tb_frame.f_code.co_filename, line))
            tb = tb.tb_next
        out.extend(reversed(frames))
        pending.extend(e for e in getattr(current, "exceptions", None) or () if isinstance(e, BaseException))
        if current.__cause__ is not None:
            pending.append(current.__cause__)
        elif current.__context__ is not None and not current.__suppress_context__:
            pending.append(current.__context__)
    return out


class SourceContext:
    """Reads and caches source files for one client (its scrubber scrubs the lines)."""

    def __init__(self, scrubber: Scrubber) -> None:
        self._scrubber = scrubber
        self._lock = threading.Lock()
        self._files: "OrderedDict[str, Lines]" = OrderedDict()
        self._chars = 0
        self._entries: "OrderedDict[Tuple[str, int], Optional[Entry]]" = OrderedDict()
        # file name -> how the scrubbed trace writes it, or None when the file is not in-app
        self._names: Dict[str, Optional[str]] = {}

    def for_exception(self, exc: BaseException, stacktrace: str) -> List[Entry]:
        """The ``exception.sourceContext`` entries for ``exc``'s chain (empty when none).

        ``stacktrace`` is the scrubbed trace sent with them: a frame it does not name as
        ``File "<file>", line <n>`` (cut off with the trace's tail, say) gets no entry, since the
        dashboard could not match it to its frame."""
        out: List[Entry] = []
        done: Set[Tuple[str, int]] = set()
        for filename, line in chain_frames(exc):
            if len(out) >= MAX_FRAMES:
                break
            if (filename, line) in done:
                continue
            done.add((filename, line))
            shown = self._shown_name(filename)
            if shown is None:
                continue
            if 'File "%s", line %d' % (shown, line) not in stacktrace:
                continue
            around = self.lines_around(filename, line)
            if around is None:
                continue
            # Copies: the cached lists must not change with a before_send that edits the report.
            out.append({"file": shown, "line": line, "pre": list(around["pre"]), "context": around["context"], "post": list(around["post"])})
        return out

    def lines_around(self, path: str, line: int) -> Optional[Entry]:
        """``{pre, context, post}`` for line ``line`` (1-based) of the file at ``path``, scrubbed
        and cut; None past the end, for line 0, or when the file cannot be read."""
        key = (path, line)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        lines = self._lines(path)
        entry = None
        if lines is not None and 1 <= line <= len(lines):
            index = line - 1
            entry = {
                "pre": [self._clean(x) for x in lines[max(0, index - LINES_AROUND) : index]],
                "context": self._clean(lines[index]),
                "post": [self._clean(x) for x in lines[index + 1 : index + 1 + LINES_AROUND]],
            }
        with self._lock:
            self._entries[key] = entry
            if len(self._entries) > MAX_CACHED_ENTRIES:
                self._entries.popitem(last=False)
        return entry

    def after_fork(self) -> None:
        """A fresh lock in a forked child."""
        self._lock = threading.Lock()

    def _clean(self, line: str) -> str:
        return self._scrubber.text(line)[:MAX_LINE]

    def _shown_name(self, filename: str) -> Optional[str]:
        if filename in self._names:
            return self._names[filename]
        shown: Optional[str] = None
        if is_in_app(filename):
            shown = self._scrubber.text(filename)  # as the scrubbed trace writes it
            if len(shown) > MAX_FILE:
                shown = None
        if len(self._names) >= MAX_CACHED_ENTRIES:
            self._names.clear()
        self._names[filename] = shown
        return shown

    def _lines(self, path: str) -> Lines:
        with self._lock:
            if path in self._files:
                self._files.move_to_end(path)
                return self._files[path]
        lines = _read_lines(path)
        with self._lock:
            if path not in self._files:
                self._files[path] = lines
                self._chars += _size(lines)
            while len(self._files) > 1 and (len(self._files) > MAX_CACHED_FILES or self._chars > MAX_CACHED_CHARS):
                _, dropped = self._files.popitem(last=False)
                self._chars -= _size(dropped)
        return lines


def _size(lines: Lines) -> int:
    return sum(len(line) for line in lines) if lines else 0


def _read_lines(path: str) -> Lines:
    try:
        if os.stat(path).st_size > MAX_FILE_BYTES:
            return None
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except (OSError, ValueError):
        return None
    if len(data) > MAX_FILE_BYTES:
        return None
    return split_lines(data.decode("utf-8", "replace"))

