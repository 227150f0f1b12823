"""The product's Prometheus metrics, one `Metrics` object per process context (never at import time).

Two ways to collect them (docs/operations.md, "Metrics"):

* **per process** (default): each `Metrics` has its own registry; `/metrics` of a process shows that
  process. Right for `mostrador serve` on SQLite (one process does everything).
* **per host** (`PROMETHEUS_MULTIPROC_DIR` set in the environment of every process of a host before
  it starts): prometheus_client keeps each process's values in files of that directory, and any one
  process's `/metrics` (or `mostrador worker --metrics-port`) adds up every process of the host,
  live or dead. prometheus_client reads the variable when it is imported, so it must be in the
  environment, not in `.env`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Seconds: a question's workflow takes tens of milliseconds to minutes (an outage defers it).
WORKFLOW_BUCKETS = (0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
CALL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def multiprocess_dir() -> str | None:
    """The per-host directory of multi-process mode, or None (per-process mode)."""
    return os.environ.get(MULTIPROC_ENV) or os.environ.get(MULTIPROC_ENV.lower()) or None


class Metrics:
    """Every metric the product records; see docs/operations.md for what each one counts."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.multiprocess = multiprocess_dir() is not None
        if not self.multiprocess:  # a process's CPU and memory; meaningless summed over a host
            ProcessCollector(registry=self.registry)
        reg = self.registry
        self.notifications_received = Counter(
            "mostrador_notifications_received",
            "Webhook deliveries received at POST /notifications.",
            registry=reg,
        )
        self.notifications_acknowledged = Counter(
            "mostrador_notifications_acknowledged",
            "Webhook deliveries answered 200, by outcome (accepted, duplicate, ignored).",
            ["outcome"],
            registry=reg,
        )
        self.notifications_ignored = Counter(
            "mostrador_notifications_ignored",
            "Deliveries acknowledged and dropped, never fetched, by reason.",
            ["reason"],
            registry=reg,
        )
        self.notifications_refused = Counter(
            "mostrador_notifications_refused",
            "Deliveries not acknowledged (400 unreadable, 413 too large, 503 not recorded).",
            ["status"],
            registry=reg,
        )
        self.workflow_seconds = Histogram(
            "mostrador_workflow_seconds",
            "Duration of a resource workflow, from its start to its end, by topic and outcome.",
            ["topic", "outcome"],
            buckets=WORKFLOW_BUCKETS,
            registry=reg,
        )
        self.meli_calls = Counter(
            "mostrador_meli_calls",
            "HTTP calls to Mercado Libre, by endpoint family and status (2xx, 4xx, 429, 5xx, transport).",
            ["family", "status"],
            registry=reg,
        )
        self.meli_errors = Counter(
            "mostrador_meli_errors",
            "Failed calls to Mercado Libre, by endpoint family and error class.",
            ["family", "error"],
            registry=reg,
        )
        self.meli_call_seconds = Histogram(
            "mostrador_meli_call_seconds",
            "Duration of one HTTP call to Mercado Libre, by endpoint family.",
            ["family"],
            buckets=CALL_BUCKETS,
            registry=reg,
        )
        self.token_refreshes = Counter(
            "mostrador_token_refreshes",
            "Access-token refreshes this process made, by outcome (ok, rejected, failed).",
            ["outcome"],
            registry=reg,
        )
        self.answers = Counter(
            "mostrador_answers",
            "Replies posted to Mercado Libre, by channel and author (bot, agent).",
            ["channel", "author"],
            registry=reg,
        )

    # ---- recording -----------------------------------------------------------------------------------
    def notification(self, status: int, outcome: str | None) -> None:
        """One webhook delivery and how it was answered (`outcome` is intake's, for a 200)."""
        self.notifications_received.inc()
        if status != 200 or outcome is None:
            self.notifications_refused.labels(str(status)).inc()
        elif outcome in ("accepted", "duplicate"):
            self.notifications_acknowledged.labels(outcome).inc()
        else:
            self.notifications_acknowledged.labels("ignored").inc()
            self.notifications_ignored.labels(outcome).inc()

    def meli_call(self, family: str, status: int | None, error: str | None, seconds: float) -> None:
        """One HTTP attempt to Mercado Libre (`status` None: no response, a transport error)."""
        self.meli_calls.labels(family, _status_class(status)).inc()
        self.meli_call_seconds.labels(family).observe(seconds)
        if error is not None:
            self.meli_errors.labels(family, error).inc()

    def workflow(self, topic: str, outcome: str, seconds: float) -> None:
        self.workflow_seconds.labels(topic, outcome).observe(seconds)

    def token_refresh(self, outcome: str) -> None:
        self.token_refreshes.labels(outcome).inc()

    def answer(self, channel: str, author: str) -> None:
        self.answers.labels(channel, author).inc()

    # ---- exposition ----------------------------------------------------------------------------------
    def render(self, extra: Iterable[Collector] = ()) -> bytes:
        """The text exposition: this process, or every process of the host in multi-process mode, plus
        `extra` collectors evaluated now (values read from the database at scrape time). A registry
        per scrape: concurrent scrapes share nothing but the metrics themselves."""
        registry = CollectorRegistry(auto_describe=False)
        if self.multiprocess:
            MultiProcessCollector(registry)
        else:
            registry.register(_Forward(self.registry))
        for collector in extra:
            registry.register(collector)
        return generate_latest(registry)


class _Forward(Collector):
    """This process's registry as one collector of a scrape's registry."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterable[Any]:
        return self.source.collect()


def _status_class(status: int | None) -> str:
    if status is None:
        return "transport"
    if status == 429:
        return "429"
    return f"{status // 100}xx"


class QueueDepth(Collector):
    """`mostrador_queue_depth{queue,status}`: workflows delayed, waiting (ENQUEUED) or running, read
    from DBOS's system database at scrape time. One value for the whole installation: every process
    reports the same number, so aggregate it with max(), not sum()."""

    def __init__(self, read: Callable[[], Mapping[tuple[str, str], int]]) -> None:
        self.read = read

    def collect(self) -> Iterable[Any]:
        family = GaugeMetricFamily(
            "mostrador_queue_depth",
            "Workflows enqueued or running, by queue and status (the same for every process).",
            labels=["queue", "status"],
        )
        up = GaugeMetricFamily(
            "mostrador_queue_depth_up", "1 when the queue depth could be read from DBOS's database."
        )
        try:
            depth = self.read()
        except Exception as exc:  # the scrape must answer even when DBOS's database does not
            log.warning("queue depth unavailable: %s: %s", type(exc).__name__, str(exc).splitlines()[0][:200])
            up.add_metric([], 0)
        else:
            up.add_metric([], 1)
            for (queue, status), count in sorted(depth.items()):
                family.add_metric([queue, status], count)
        yield family
        yield up

    def describe(self) -> Iterable[Any]:
        return []
