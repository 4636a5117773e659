"""The one ``Monitor``: turns a collection of metrics into a usage report and queues it."""

import time
from typing import Any, Callable, Dict, Optional

from .metrics import Collector, MetricContext
from .options import DEFAULT_ENVIRONMENT
from .report import usage_report

Submit = Callable[[str, Dict[str, Any]], Optional[str]]


class Monitor:
    """Collects every registered metric and hands one usage report to the client's queue."""

    def __init__(
        self,
        collector: Collector,
        context: MetricContext,
        label: Optional[str],
        install_id: Optional[str],
        submit: Submit,
        clock: Callable[[], float] = time.time,
        environment: str = DEFAULT_ENVIRONMENT,
    ) -> None:
        self.collector = collector
        self.context = context
        self.label = label
        self.install_id = install_id
        self._submit = submit
        self._clock = clock
        self.environment = environment

    def report(self) -> Optional[str]:
        """Queue one usage report; returns its reportId, or None when no metric had a value."""
        metrics = self.collector.collect(self.context)
        if not metrics:
            return None
        body = usage_report(
            metrics,
            self._clock(),
            self.context.app_name,
            self.context.app_version,
            self.label,
            self.install_id,
            self.environment,
        )
        return self._submit("/v1/usage", body)
