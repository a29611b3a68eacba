"""What a run says as it goes: log messages, metrics and resource samples."""

import time
from collections.abc import Iterable
from collections.abc import Mapping

from sim2l.rundb.checks import LEVEL_RANK
from sim2l.rundb.checks import LOG_LEVELS
from sim2l.rundb.checks import as_number
from sim2l.rundb.checks import check_name
from sim2l.rundb.checks import json_loads_or_none
from sim2l.rundb.checks import json_or_none
from sim2l.rundb.checks import normalize_level

_INSERT_LOG = (
    "INSERT INTO logs (timestamp, level, message, source, context_json) VALUES (?, ?, ?, ?, ?)"
)
_INSERT_METRIC = (
    "INSERT INTO metrics (name, value, unit, category, step, timestamp) VALUES (?, ?, ?, ?, ?, ?)"
)
_METRIC_KEYS = ("id", "name", "value", "unit", "category", "step", "timestamp")
_RESOURCE_KEYS = (
    "timestamp",
    "cpu_percent",
    "memory_bytes",
    "peak_memory_bytes",
    "disk_read_bytes",
    "disk_write_bytes",
    "gpu_percent",
    "gpu_memory_bytes",
)


def _metric_row(name, value, unit, category, step, timestamp, now) -> tuple:
    return (
        check_name(name),
        as_number(value, "metric value"),
        unit,
        category,
        None if step is None else int(step),
        now if timestamp is None else timestamp,
    )


class LogRecords:
    """Logs, metrics and resource usage."""

    # ------------------------------------------------------------------ logs

    def log(
        self,
        level,
        message: str,
        *,
        source: str | None = None,
        context=None,
        timestamp: float | None = None,
    ) -> None:
        """Record a log message; committed when this returns."""
        row = (
            time.time() if timestamp is None else timestamp,
            normalize_level(level),
            str(message),
            source,
            json_or_none(context),
        )
        self._write(_INSERT_LOG, row)

    def log_many(self, entries: Iterable) -> int:
        """Record many log messages in one transaction; return how many.

        Each entry is a dict (``level``, ``message``, optional ``source``,
        ``context``, ``timestamp``) or a tuple ``(level, message)``.
        """
        now = time.time()
        rows = []
        for entry in entries:
            if isinstance(entry, Mapping):
                rows.append(
                    (
                        entry.get("timestamp") or now,
                        normalize_level(entry["level"]),
                        str(entry["message"]),
                        entry.get("source"),
                        json_or_none(entry.get("context")),
                    )
                )
            else:
                level, message = entry
                rows.append((now, normalize_level(level), str(message), None, None))
        return self._write_many(_INSERT_LOG, rows)

    def get_logs(
        self,
        level=None,
        *,
        min_level=None,
        source: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict]:
        """Log records in order; ``level`` exactly, or ``min_level`` and above."""
        clauses, parameters = [], []
        if level is not None:
            clauses.append("level = ?")
            parameters.append(normalize_level(level))
        if min_level is not None:
            allowed = LOG_LEVELS[LEVEL_RANK[normalize_level(min_level)] :]
            clauses.append(f"level IN ({', '.join('?' * len(allowed))})")
            parameters.extend(allowed)
        if source is not None:
            clauses.append("source = ?")
            parameters.append(source)
        sql = "SELECT id, timestamp, level, message, source, context_json FROM logs"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY id LIMIT ? OFFSET ?"
        parameters += [-1 if limit is None else int(limit), int(offset)]
        return [
            {
                "id": row[0],
                "timestamp": row[1],
                "level": row[2],
                "message": row[3],
                "source": row[4],
                "context": json_loads_or_none(row[5]),
            }
            for row in self._execute(sql, parameters).fetchall()
        ]

    # ------------------------------------------------------------------ metrics

    def save_metric(
        self,
        name: str,
        value,
        unit: str | None = None,
        category: str | None = None,
        step: int | None = None,
        timestamp: float | None = None,
    ) -> None:
        """Record one numeric metric sample; committed when this returns."""
        self._write(
            _INSERT_METRIC, _metric_row(name, value, unit, category, step, timestamp, time.time())
        )

    def save_metrics(self, metrics: Iterable) -> int:
        """Record many metric samples in one transaction; return how many.

        Each is a dict (``name``, ``value``, optional ``unit``, ``category``,
        ``step``, ``timestamp``) or a tuple ``(name, value[, unit[, category[, step]]])``.
        """
        now = time.time()
        rows = []
        for item in metrics:
            if isinstance(item, Mapping):
                rows.append(
                    _metric_row(
                        item["name"],
                        item["value"],
                        item.get("unit"),
                        item.get("category"),
                        item.get("step"),
                        item.get("timestamp"),
                        now,
                    )
                )
            else:
                padded = (*item, *(None,) * (5 - len(item)))
                rows.append(_metric_row(*padded, None, now))
        return self._write_many(_INSERT_METRIC, rows)

    def get_metrics(self, category: str | None = None, name: str | None = None) -> list[dict]:
        """Metric samples in order, optionally of one category and/or name."""
        clauses, parameters = [], []
        if category is not None:
            clauses.append("category = ?")
            parameters.append(category)
        if name is not None:
            clauses.append("name = ?")
            parameters.append(name)
        sql = f"SELECT {', '.join(_METRIC_KEYS)} FROM metrics"  # noqa: S608 (constant names)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        return [
            dict(zip(_METRIC_KEYS, row, strict=True))
            for row in self._execute(sql + " ORDER BY id", parameters).fetchall()
        ]

    # ------------------------------------------------------------------ resource usage

    def save_resource_usage(
        self,
        cpu_percent=None,
        memory_bytes=None,
        *,
        peak_memory_bytes=None,
        disk_read_bytes=None,
        disk_write_bytes=None,
        gpu_percent=None,
        gpu_memory_bytes=None,
        timestamp: float | None = None,
        **extra,
    ) -> None:
        """Record one sample of resource use; unknown keywords go to ``extra``."""
        self._write(
            "INSERT INTO resource_usage (timestamp, cpu_percent, memory_bytes, peak_memory_bytes, "
            "disk_read_bytes, disk_write_bytes, gpu_percent, gpu_memory_bytes, extra_json) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                time.time() if timestamp is None else timestamp,
                as_number(cpu_percent, "cpu_percent"),
                as_number(memory_bytes, "memory_bytes"),
                as_number(peak_memory_bytes, "peak_memory_bytes"),
                as_number(disk_read_bytes, "disk_read_bytes"),
                as_number(disk_write_bytes, "disk_write_bytes"),
                as_number(gpu_percent, "gpu_percent"),
                as_number(gpu_memory_bytes, "gpu_memory_bytes"),
                json_or_none(extra or None),
            ),
        )

    def get_resource_usage(self) -> list[dict]:
        """Resource samples in order."""
        rows = self._execute(
            f"SELECT {', '.join(_RESOURCE_KEYS)}, extra_json FROM resource_usage "  # noqa: S608 (constant names)
            "ORDER BY id"
        ).fetchall()
        result = []
        for row in rows:
            item = dict(zip(_RESOURCE_KEYS, row[:-1], strict=True))
            item["extra"] = json_loads_or_none(row[-1])
            result.append(item)
        return result
