"""Per-process request metrics in the Prometheus text format.

Counters live in the worker process (each gunicorn worker reports its own;
Prometheus sums the scrapes of every pod). They hold counts and durations by
route and status only, never keys, names or user data.
"""

import bisect
import threading
import time

from flask import Flask
from flask import g
from flask import request

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class RequestMetrics:
    """Counts and duration histograms per (method, route, status)."""

    def __init__(self, service: str):
        self.service = service
        self.started_at = time.time()
        self._lock = threading.Lock()
        self._series: dict[tuple[str, str, int], list] = {}

    def install(self, app: Flask) -> None:
        """Time every request of ``app``."""

        @app.before_request
        def start_timer():
            g._sim2l_started = time.perf_counter()

        @app.after_request
        def record(response):
            started = g.pop("_sim2l_started", None)
            if started is not None:
                rule = request.url_rule.rule if request.url_rule else "unmatched"
                self.observe(
                    request.method, rule, response.status_code, time.perf_counter() - started
                )
            return response

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request."""
        key = (method, route, status)
        with self._lock:
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = [0, 0.0, [0] * (len(BUCKETS) + 1)]
            series[0] += 1
            series[1] += seconds
            series[2][bisect.bisect_left(BUCKETS, seconds)] += 1

    def render(self, gauges: dict[str, float] | None = None) -> str:
        """The Prometheus exposition text, plus any service gauges."""
        service = self.service
        lines = [
            "# HELP sim2l_http_requests_total Requests served, by method, route and status.",
            "# TYPE sim2l_http_requests_total counter",
        ]
        with self._lock:
            snapshot = {
                key: (count, total, list(buckets))
                for key, (count, total, buckets) in self._series.items()
            }
        for (method, route, status), (count, _, _) in sorted(snapshot.items()):
            labels = f'service="{service}",method="{method}",route="{route}",status="{status}"'
            lines.append(f"sim2l_http_requests_total{{{labels}}} {count}")
        lines += [
            "# HELP sim2l_http_request_duration_seconds Request durations.",
            "# TYPE sim2l_http_request_duration_seconds histogram",
        ]
        for (method, route, status), (count, total, buckets) in sorted(snapshot.items()):
            labels = f'service="{service}",method="{method}",route="{route}",status="{status}"'
            cumulative = 0
            for bound, bucket_count in zip(BUCKETS, buckets):
                cumulative += bucket_count
                bucket = f'{labels},le="{bound}"'
                lines.append(f"sim2l_http_request_duration_seconds_bucket{{{bucket}}} {cumulative}")
            lines.append(
                f'sim2l_http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {count}'
            )
            lines.append(f"sim2l_http_request_duration_seconds_sum{{{labels}}} {total:.6f}")
            lines.append(f"sim2l_http_request_duration_seconds_count{{{labels}}} {count}")
        lines += [
            "# TYPE sim2l_process_start_time_seconds gauge",
            f'sim2l_process_start_time_seconds{{service="{service}"}} {self.started_at:.3f}',
        ]
        for name, value in sorted((gauges or {}).items()):
            lines.append(f"# TYPE {name} gauge")
            lines.append(f'{name}{{service="{service}"}} {value}')
        return "\n".join(lines) + "\n"
