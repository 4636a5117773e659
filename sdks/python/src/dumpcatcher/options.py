"""The options of ``init`` (docs/sdks.md#options), validated once."""

import math
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Union

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
ENVIRONMENT_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
ENVIRONMENT_VARIABLE = "DUMPCATCHER_ENVIRONMENT"
DEFAULT_ENVIRONMENT = "production"
MAX_BREADCRUMBS = 100
#: The kinds of automatic breadcrumbs this SDK records (docs/sdk-python.md#breadcrumbs).
AUTO_BREADCRUMB_KINDS = ("logging", "http")

BeforeSend = Callable[[Dict[str, Any]], Optional[Dict[str, Any]]]


class OptionsError(ValueError):
    """init() was given options the SDK cannot work with."""


@dataclass
class Options:
    """Every documented option with its default; see docs/sdk-python.md."""

    endpoint: str
    product_key: str
    secret: str
    app_name: str
    app_version: str
    label: Optional[str] = None
    tags: Dict[str, str] = field(default_factory=dict)
    queue_dir: Optional[str] = None
    sample_rate: float = 1.0
    before_send: Optional[BeforeSend] = None
    debug: bool = False
    enabled: bool = True
    install_id: bool = True
    auto_session_tracking: bool = True
    capture_uncaught: bool = True
    max_queue_files: int = 100
    max_queue_bytes: int = 10 * 1024 * 1024
    max_queue_age_seconds: float = 7 * 24 * 3600
    gzip_threshold_bytes: int = 8192
    max_reports_per_fingerprint: int = 10
    limiter_window_seconds: float = 3600
    shutdown_timeout: float = 2.0
    request_timeout: float = 10.0
    # None: $DUMPCATCHER_ENVIRONMENT, else "production".
    environment: Optional[str] = None
    max_breadcrumbs: int = MAX_BREADCRUMBS
    # True, False, or {kind: bool} (kinds not named stay on); read through auto_breadcrumb().
    auto_breadcrumbs: Union[bool, Mapping[str, bool]] = True
    source_context: bool = True

    def __post_init__(self) -> None:
        for name in ("endpoint", "product_key", "secret", "app_name", "app_version"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise OptionsError("%s is required and must be a non-empty string" % name)
        if not re.match(r"^https?://", self.endpoint):
            raise OptionsError("endpoint must be an http:// or https:// URL")
        self.endpoint = self.endpoint.rstrip("/")
        if not KEY_PATTERN.match(self.product_key):
            raise OptionsError("product_key must match [A-Za-z0-9_-]{8,64}")
        # Cut, not refused, as in the other SDKs: the ingest takes at most 128 and 64 characters.
        self.app_name = self.app_name[:128]
        self.app_version = self.app_version[:64]
        if self.before_send is not None and not callable(self.before_send):
            raise OptionsError("before_send must be callable")
        if not isinstance(self.tags, Mapping):
            raise OptionsError("tags must be a mapping")
        self.tags = dict(self.tags)
        if not (isinstance(self.sample_rate, (int, float)) and 0.0 <= self.sample_rate <= 1.0):
            raise OptionsError("sample_rate must be between 0 and 1")
        for name in (
            "max_queue_files",
            "max_queue_bytes",
            "max_queue_age_seconds",
            "gzip_threshold_bytes",
            "max_reports_per_fingerprint",
            "limiter_window_seconds",
            "shutdown_timeout",
            "request_timeout",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise OptionsError("%s must be a non-negative number" % name)
        self.environment = _environment(self.environment)
        if (
            isinstance(self.max_breadcrumbs, bool)
            or not isinstance(self.max_breadcrumbs, int)
            or not 0 <= self.max_breadcrumbs <= MAX_BREADCRUMBS
        ):
            raise OptionsError("max_breadcrumbs must be an integer from 0 to %d" % MAX_BREADCRUMBS)
        self.auto_breadcrumbs = _auto_breadcrumbs(self.auto_breadcrumbs)
        if not isinstance(self.source_context, bool):
            raise OptionsError("source_context must be True or False")
        if self.queue_dir is None:
            self.queue_dir = default_queue_dir(self.product_key)
        else:
            self.queue_dir = os.fspath(self.queue_dir)

    def auto_breadcrumb(self, kind: str) -> bool:
        """Whether the automatic breadcrumbs of ``kind`` (``logging``, ``http``) are on."""
        if isinstance(self.auto_breadcrumbs, bool):
            return self.auto_breadcrumbs
        return self.auto_breadcrumbs.get(kind, True)

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> "Options":
        """Build options from init(**kwargs), naming any unknown option."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise OptionsError("unknown option(s): " + ", ".join(unknown))
        try:
            return cls(**kwargs)
        except TypeError as error:  # a missing required option
            raise OptionsError(str(error)) from None


def _environment(value: Any) -> str:
    """The option, else the environment variable, else ``production``; both must be valid names."""
    source = "environment"
    if value is None:
        value = os.environ.get(ENVIRONMENT_VARIABLE)
        source = "environment (from %s)" % ENVIRONMENT_VARIABLE
        if value is None:
            return DEFAULT_ENVIRONMENT
    if not isinstance(value, str) or not ENVIRONMENT_PATTERN.match(value):
        raise OptionsError("%s must match [A-Za-z0-9_.-]{1,64}" % source)
    return value


def _auto_breadcrumbs(value: Any) -> Union[bool, Dict[str, bool]]:
    if isinstance(value, bool):
        return value
    if isinstance(value, Mapping):
        unknown = sorted(str(k) for k in value if k not in AUTO_BREADCRUMB_KINDS)
        if unknown:
            raise OptionsError(
                "auto_breadcrumbs names unknown kind(s) %s (known: %s)" % (", ".join(unknown), ", ".join(AUTO_BREADCRUMB_KINDS))
            )
        if not all(isinstance(v, bool) for v in value.values()):
            raise OptionsError("auto_breadcrumbs values must be True or False")
        return dict(value)
    raise OptionsError("auto_breadcrumbs must be True, False or a mapping of kind to True/False")


def default_queue_dir(product_key: str, env: Optional[Mapping[str, str]] = None) -> str:
    """``$XDG_CACHE_HOME/dumpcatcher/<key>``, ``~/.cache/...``, or ``%LOCALAPPDATA%`` on Windows."""
    env = os.environ if env is None else env
    if sys.platform == "win32":
        base = env.get("LOCALAPPDATA") or os.path.join(os.path.expanduser("~"), "AppData", "Local")
    else:
        base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "dumpcatcher", product_key)
