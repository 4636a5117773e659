"""Usage metrics: Metric subclasses register themselves; one Collector; one Monitor sends."""

import math
import platform
from typing import Callable, Iterator, Optional

import pytest

from dumpcatcher import REGISTRY, Client, Collector, Metric, MetricContext, MetricValue
from dumpcatcher.metrics import BUILT_IN
from ingest_server import IngestServer

CONTEXT = MetricContext(app_name="metrics-tests", app_version="9.8.7")


@pytest.fixture
def registry_snapshot() -> Iterator[None]:
    """Metrics defined by a test are removed afterwards."""
    before = REGISTRY.names()
    yield
    for name in REGISTRY.names():
        if name not in before:
            REGISTRY.unregister(name)


class TestBuiltIns:
    def test_exactly_the_documented_metrics_are_built_in(self) -> None:
        assert BUILT_IN == (
            "os.name",
            "os.version",
            "os.arch",
            "runtime.name",
            "runtime.version",
            "app.version",
            "locale",
            "cpu.count",
        )

    def test_built_in_values(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("LC_ALL", "de_DE.UTF-8")
        # Linux on Arm names itself aarch64; every SDK sends Node's name (test/vectors/arch-v1.json).
        monkeypatch.setattr(platform, "machine", lambda: "aarch64")
        values = Collector().collect(CONTEXT)
        assert values["runtime.name"] == "python"
        assert values["app.version"] == "9.8.7"
        assert values["locale"] == "de-DE"
        assert values["os.name"] in ("linux", "darwin", "windows")
        assert values["os.arch"] == "arm64"
        assert isinstance(values["cpu.count"], int) and values["cpu.count"] >= 1
        assert values["runtime.version"].count(".") == 2  # type: ignore[union-attr]


class TestRegistry:
    def test_defining_a_subclass_registers_it(self, registry_snapshot: None) -> None:
        class OpenProjects(Metric):
            name = "app.open_projects"

            def collect(self) -> Optional[MetricValue]:
                return 3

        assert "app.open_projects" in REGISTRY.names()
        assert Collector().collect(CONTEXT)["app.open_projects"] == 3

    def test_a_subclass_without_a_name_is_an_abstract_helper(self, registry_snapshot: None) -> None:
        before = REGISTRY.names()

        class FeatureFlag(Metric):
            flag = ""

            def collect(self) -> Optional[MetricValue]:
                return self.flag == "on"

        class DarkMode(FeatureFlag):
            name = "feature.dark_mode"
            flag = "on"

        assert REGISTRY.names() == before + ["feature.dark_mode"]
        assert Collector().collect(CONTEXT)["feature.dark_mode"] is True

    def test_an_invalid_name_is_refused_at_definition(self, registry_snapshot: None) -> None:
        with pytest.raises(ValueError):

            class Bad(Metric):
                name = "Has Spaces"

                def collect(self) -> Optional[MetricValue]:
                    return 1

    def test_a_redefined_name_replaces_the_earlier_class(self, registry_snapshot: None) -> None:
        class First(Metric):
            name = "test.redefined"

            def collect(self) -> Optional[MetricValue]:
                return "first"

        class Second(Metric):
            name = "test.redefined"

            def collect(self) -> Optional[MetricValue]:
                return "second"

        assert Collector().collect(CONTEXT)["test.redefined"] == "second"


class TestCollector:
    def test_failing_empty_and_unusable_metrics_are_left_out(self, registry_snapshot: None) -> None:
        class Raises(Metric):
            name = "test.raises"

            def collect(self) -> Optional[MetricValue]:
                raise RuntimeError("no")

        class Nothing(Metric):
            name = "test.nothing"

            def collect(self) -> Optional[MetricValue]:
                return None

        class NotFinite(Metric):
            name = "test.nan"

            def collect(self) -> Optional[MetricValue]:
                return math.nan

        class LongText(Metric):
            name = "test.long"

            def collect(self) -> Optional[MetricValue]:
                return "y" * 300

        values = Collector().collect(CONTEXT)
        assert not {"test.raises", "test.nothing", "test.nan"} & set(values)
        assert values["test.long"] == "y" * 256
        assert set(BUILT_IN) <= set(values)


class TestMonitor:
    def test_report_usage_sends_every_registered_metric(
        self, make_client: Callable[..., Client], ingest: IngestServer, registry_snapshot: None
    ) -> None:
        class Seats(Metric):
            name = "license.seats"

            def collect(self) -> Optional[MetricValue]:
                return 25

        client = make_client(label="nightly", install_id=True)
        report_id = client.report_usage()
        assert client.flush(5)
        [request] = ingest.delivered()
        body = request.body or {}
        assert request.path == "/v1/usage"
        assert body["reportId"] == report_id
        assert body["metrics"]["license.seats"] == 25
        assert body["metrics"]["app.version"] == "1.2.3"
        assert body["app"] == {"name": "sdk-tests", "version": "1.2.3"}
        assert body["label"] == "nightly"
        assert body["installId"] == client.install_id

    def test_usage_reports_ignore_sample_rate(self, make_client: Callable[..., Client], ingest: IngestServer) -> None:
        client = make_client(sample_rate=0.0)
        assert client.report_usage() is not None
        try:
            raise ValueError("sampled out")
        except ValueError:
            assert client.capture_exception() is None
        assert client.flush(5)
        assert [r.path for r in ingest.delivered()] == ["/v1/usage"]
