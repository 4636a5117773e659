"""Usage metrics: the ``Metric`` base class, its registry and the one ``Collector``.

Defining a subclass with a ``name`` registers it (``__init_subclass__``)::

    class ActiveProjects(Metric):
        name = "app.active_projects"

        def collect(self):
            return len(load_projects())
"""

import locale
import math
import os
import platform
import re
import threading
from dataclasses import dataclass
from typing import Callable, ClassVar, Dict, List, Mapping, Optional, Type, Union

from . import log
from .report import os_arch, os_name

MetricValue = Union[str, int, float, bool]
NAME_PATTERN = re.compile(r"^[a-z0-9_.]{1,64}$")
MAX_METRICS = 100
MAX_STRING = 256


@dataclass(frozen=True)
class MetricContext:
    """What a metric may need to know about the app that reports it."""

    app_name: str
    app_version: str


class Registry:
    """Metric classes by name, in definition order; a later class replaces an earlier one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._classes: Dict[str, Type["Metric"]] = {}

    def register(self, cls: Type["Metric"]) -> None:
        """Add (or replace) the metric class for ``cls.name``."""
        if not isinstance(cls.name, str) or not NAME_PATTERN.match(cls.name):
            raise ValueError("metric name %r must match [a-z0-9_.]{1,64}" % (cls.name,))
        with self._lock:
            self._classes.pop(cls.name, None)
            self._classes[cls.name] = cls

    def unregister(self, name: str) -> None:
        """Remove a metric by name (a name not registered is fine)."""
        with self._lock:
            self._classes.pop(name, None)

    def classes(self) -> List[Type["Metric"]]:
        """Registered classes in definition order."""
        with self._lock:
            return list(self._classes.values())

    def names(self) -> List[str]:
        """Registered metric names in definition order."""
        with self._lock:
            return list(self._classes)


REGISTRY = Registry()


class Metric:
    """Base class of every usage metric: set ``name`` and implement ``collect()``.

    ``collect()`` returns a string (at most 256 characters kept), a finite number or a bool;
    returning None or raising leaves the metric out of that report. ``self.context`` holds the
    app's name and version. A subclass without its own ``name`` is an abstract helper and is
    not registered.
    """

    name: ClassVar[str] = ""

    def __init__(self, context: MetricContext) -> None:
        self.context = context

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            REGISTRY.register(cls)

    def collect(self) -> Optional[MetricValue]:
        """The metric's current value."""
        raise NotImplementedError


def _usable(value: object) -> Optional[MetricValue]:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return value[:MAX_STRING]
    return None


class Collector:
    """Collects every registered metric into one ``{name: value}`` mapping."""

    def __init__(self, registry: Registry = REGISTRY) -> None:
        self.registry = registry

    def collect(self, context: MetricContext) -> Dict[str, MetricValue]:
        """Values of all metrics that produced a usable value (at most 100)."""
        values: Dict[str, MetricValue] = {}
        for cls in self.registry.classes():
            if len(values) >= MAX_METRICS:
                break
            try:
                value = _usable(cls(context).collect())
            except Exception as error:  # noqa: BLE001 - a broken metric must not break the report
                log.metric_failed(cls.name, error)
                continue
            if value is None:
                log.metric_failed(cls.name, None)
                continue
            values[cls.name] = value
        return values


_LANGUAGE = re.compile(r"[A-Za-z]{2,3}")
_SCRIPT = re.compile(r"[A-Za-z]{4}")
_REGION = re.compile(r"[A-Za-z]{2}|[0-9]{3}")


def normalize_locale(raw: Optional[str]) -> Optional[str]:
    """A locale as a BCP 47 tag (test/vectors/locale-v1.json): ``en_US.UTF-8`` and ``en-US``
    give ``en-US``, ``C`` and ``POSIX`` give ``C``; None when it does not start with a language."""
    value = (raw or "").split(".")[0].split("@")[0].strip()
    if value in ("C", "POSIX"):
        return "C"
    parts = re.split(r"[-_]", value)
    if not _LANGUAGE.fullmatch(parts[0]) or parts[0].lower() == "und":
        return None
    tag = [parts[0].lower()]
    script = False
    for part in parts[1:]:
        if not script and _SCRIPT.fullmatch(part):
            script = True
            tag.append(part[0].upper() + part[1:].lower())
        elif _REGION.fullmatch(part):
            tag.append(part.upper())
            break
        else:
            break
    return "-".join(tag)


def _runtime_locale() -> Optional[str]:
    try:
        return locale.getlocale()[0]
    except ValueError:
        return None


def process_locale(
    env: Optional[Mapping[str, str]] = None, default: Callable[[], Optional[str]] = _runtime_locale
) -> Optional[str]:
    """The process locale as a BCP 47 tag, e.g. ``en-US``: the first readable of LC_ALL,
    LC_MESSAGES and LANG, else the runtime's default; None when there is none."""
    variables = os.environ if env is None else env
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = normalize_locale(variables.get(variable))
        if value is not None:
            return value
    return normalize_locale(default())


class OsName(Metric):
    """OS family: linux, darwin, windows."""

    name = "os.name"

    def collect(self) -> Optional[MetricValue]:
        return os_name()


class OsVersion(Metric):
    """OS release, e.g. 6.1.0-18-amd64."""

    name = "os.version"

    def collect(self) -> Optional[MetricValue]:
        return platform.release() or None


class OsArch(Metric):
    """CPU architecture: x64, arm64."""

    name = "os.arch"

    def collect(self) -> Optional[MetricValue]:
        return os_arch()


class RuntimeName(Metric):
    """Always ``python``."""

    name = "runtime.name"

    def collect(self) -> Optional[MetricValue]:
        return "python"


class RuntimeVersion(Metric):
    """The interpreter version, e.g. 3.11.7."""

    name = "runtime.version"

    def collect(self) -> Optional[MetricValue]:
        return platform.python_version()


class AppVersion(Metric):
    """The app's version from init(app_version=...)."""

    name = "app.version"

    def collect(self) -> Optional[MetricValue]:
        return self.context.app_version


class Locale(Metric):
    """The process locale as a BCP 47 tag, e.g. en-US (C for the C/POSIX locale)."""

    name = "locale"

    def collect(self) -> Optional[MetricValue]:
        return process_locale()


class CpuCount(Metric):
    """Logical CPUs."""

    name = "cpu.count"

    def collect(self) -> Optional[MetricValue]:
        return os.cpu_count()


BUILT_IN = tuple(REGISTRY.names())
