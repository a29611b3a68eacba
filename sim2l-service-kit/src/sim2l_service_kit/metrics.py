"""Request metrics in the Prometheus format, summed over every worker process.

Under gunicorn each worker is a process of its own, and a scrape reaches one
of them: per-process counters would go up and down from scrape to scrape.
prometheus_client's multiprocess mode solves that: every process writes its
values to memory-mapped files in ``PROMETHEUS_MULTIPROC_DIR`` and a scrape,
whichever worker answers it, sums the files of every worker, live or
exited, so counters only grow. ``sim2l_service_kit.gunicorn_hooks`` sets the
directory up for every way a service is started (``serve``, the container's
gunicorn.conf.py, plain ``gunicorn -c python:sim2l_service_kit.gunicorn_hooks``).
Without the directory (a development server, the tests' threaded server)
the metrics live in this process only, which is then the whole service.

Labels come from fixed sets only, so nothing a client sends can add series:
the method is one of ``KNOWN_METHODS`` or ``other``, the route is the
matched URL rule's template (``/cache/<path:cache_key>``) or ``unmatched``,
the status a number from 100 to 599 or ``other``. Counts and durations only,
never keys, names or user data.

A service's gauges (a callable returning ``{name: value}``) are computed by
the worker answering the scrape, at most once per ``max_age_seconds`` per
worker (the cached values are served in between), so a scrape never scans a
table.
"""

import logging
import os
import threading
import time

from flask import Flask
from flask import g
from flask import request
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Histogram
from prometheus_client import disable_created_metrics
from prometheus_client import generate_latest
from prometheus_client import multiprocess
from prometheus_client import values
from prometheus_client.core import GaugeMetricFamily

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
KNOWN_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
UNMATCHED_ROUTE = "unmatched"
OTHER = "other"
CONTENT_TYPE = CONTENT_TYPE_LATEST

logger = logging.getLogger("sim2l.service")
_value_class_lock = threading.Lock()


def multiprocess_directory() -> str | None:
    """``PROMETHEUS_MULTIPROC_DIR``, if set."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def _use_multiprocess_values() -> None:
    # prometheus_client picks its value class when first imported; gunicorn's
    # serve command imports this module before it sets the directory, so
    # pick again, once, now that the directory is known.
    with _value_class_lock:
        if values.ValueClass.__name__ != "MmapedValue":
            values.ValueClass = values.MultiProcessValue()


def method_label(method: str) -> str:
    """The method if it is a standard one, else ``other``."""
    return method if method in KNOWN_METHODS else OTHER


def status_label(status: int) -> str:
    """The status code as text if it is a real HTTP status, else ``other``."""
    return str(status) if 100 <= status <= 599 else OTHER


class CachedGauges:
    """A service's gauges, recomputed at most every ``max_age_seconds`` in this process."""

    def __init__(self, compute, max_age_seconds: float):
        self.compute = compute
        self.max_age_seconds = max_age_seconds
        self._lock = threading.Lock()
        self._values: dict[str, float] = {}
        self._computed_at = None

    def current(self) -> dict[str, float]:
        """The cached values, recomputed first if they are too old (or never computed)."""
        with self._lock:
            now = time.monotonic()
            if self._computed_at is None or now - self._computed_at >= self.max_age_seconds:
                self._values = dict(self.compute())
                self._computed_at = now
            return self._values


class _GaugeCollector:
    """Exposes a ``CachedGauges`` in a registry, labelled by service."""

    def __init__(self, service: str, gauges: CachedGauges):
        self.service = service
        self.gauges = gauges

    def describe(self):
        # Registering must not compute the gauges (the registry would call
        # collect() to learn the names and cache values from before any request).
        return []

    def collect(self):
        try:
            current = self.gauges.current()
        except Exception as error:  # the database is down: the request metrics still answer
            logger.warning("metrics gauges unavailable: %s", error)
            return
        for name, value in sorted(current.items()):
            family = GaugeMetricFamily(name, name.replace("_", " "), labels=["service"])
            family.add_metric([self.service], value)
            yield family


class RequestMetrics:
    """Request counts and duration histograms per (method, route, status) of one service."""

    def __init__(self, service: str, gauges=None, gauge_max_age_seconds: float = 15.0):
        self.service = service
        # The *_created series double the text and say nothing a scraper needs.
        disable_created_metrics()
        self.directory = multiprocess_directory()
        if self.directory:
            _use_multiprocess_values()
            # Values go to the directory's files; a scrape collects the files.
            own_registry = None
        else:
            own_registry = CollectorRegistry(auto_describe=True)
        self._registry = own_registry
        labels = ("service", "method", "route", "status")
        self.requests = Counter(
            "sim2l_http_requests",
            "Requests served, by method, route and status.",
            labels,
            registry=own_registry,
        )
        self.durations = Histogram(
            "sim2l_http_request_duration_seconds",
            "Request durations.",
            labels,
            buckets=BUCKETS,
            registry=own_registry,
        )
        self.gauges = None
        if gauges is not None:
            self.gauges = _GaugeCollector(service, CachedGauges(gauges, gauge_max_age_seconds))
            if own_registry is not None:
                own_registry.register(self.gauges)
        self._children: dict[tuple[str, str, str], tuple] = {}
        self._children_lock = threading.Lock()

    def install(self, app: Flask) -> None:
        """Time every request of ``app``."""

        @app.before_request
        def start_timer():
            g._sim2l_started = time.perf_counter()

        @app.after_request
        def record(response):
            started = g.pop("_sim2l_started", None)
            if started is not None:
                rule = request.url_rule.rule if request.url_rule else UNMATCHED_ROUTE
                self.observe(
                    request.method, rule, response.status_code, time.perf_counter() - started
                )
            return response

    def counter(self, name: str, documentation: str, labels=()):
        """A counter of the service's own (summed over workers like the request counters)."""
        return Counter(name, documentation, ("service", *labels), registry=self._registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request (``route`` must be a URL rule template or ``unmatched``)."""
        key = (method_label(method), route, status_label(status))
        children = self._children.get(key)
        if children is None:
            with self._children_lock:
                labels = (self.service, *key)
                children = self._children[key] = (
                    self.requests.labels(*labels),
                    self.durations.labels(*labels),
                )
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> bytes:
        """The exposition text: every worker's counters summed, and the service's gauges."""
        if not self.directory:
            return generate_latest(self._registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=self.directory)
        if self.gauges is not None:
            registry.register(self.gauges)
        return generate_latest(registry)
