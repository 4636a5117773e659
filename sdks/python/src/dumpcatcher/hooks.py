"""Uncaught-exception hooks: ``sys.excepthook`` and ``threading.excepthook``, chained."""

import sys
import threading
from types import TracebackType
from typing import Any, Callable, Optional, Type

# Called with the exception and whether the process dies of it (sys.excepthook) or goes on
# (an uncaught exception in a thread).
Capture = Callable[[BaseException, bool], Any]


def _should_capture(exc: Optional[BaseException]) -> bool:
    # KeyboardInterrupt and other non-Exception exits are the user's choice, not crashes.
    return isinstance(exc, Exception)


class UncaughtHooks:
    """Installs both hooks; each captures synchronously, then calls whatever was there before."""

    def __init__(self, capture: Capture) -> None:
        self._capture = capture
        self._previous_sys: Optional[Callable[..., Any]] = None
        self._previous_thread: Optional[Callable[..., Any]] = None
        self._installed = False

    def install(self) -> None:
        """Put our hooks in front of the current ones."""
        if self._installed:
            return
        self._previous_sys = sys.excepthook
        self._previous_thread = threading.excepthook
        sys.excepthook = self._sys_hook
        threading.excepthook = self._thread_hook
        self._installed = True

    def uninstall(self) -> None:
        """Restore the previous hooks where ours are still in place; otherwise just go quiet."""
        if not self._installed:
            return
        self._installed = False
        if sys.excepthook == self._sys_hook:
            sys.excepthook = self._previous_sys or sys.__excepthook__
        if threading.excepthook == self._thread_hook:
            threading.excepthook = self._previous_thread or threading.__excepthook__

    def _run_capture(self, exc: Optional[BaseException], fatal: bool) -> None:
        if not self._installed or not _should_capture(exc):
            return
        try:
            self._capture(exc, fatal)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - the previous hook must still run
            pass

    def _sys_hook(
        self,
        exc_type: Type[BaseException],
        exc: BaseException,
        tb: Optional[TracebackType],
    ) -> None:
        self._run_capture(exc, True)
        previous = self._previous_sys or sys.__excepthook__
        previous(exc_type, exc, tb)

    def _thread_hook(self, args: Any) -> None:
        self._run_capture(args.exc_value, False)
        previous = self._previous_thread or threading.__excepthook__
        previous(args)
