"""What the runs explorer asks the results service, through ``ResultsClient`` only.

- ``explorer_columns``: one column per input and output with its type and
  units, from the parameter schemas the results service saw in the runs
  (the catalog's declaration fills in what no run has shown yet);
- ``fetch_page``: one page of matching runs, keyset-paged with the results
  service's opaque ``cursor``;
- ``fetch_columns``: the chosen columns over **all** matching runs, as
  columns (not rows), for the plots and the CSV download. It uses the
  results service's columnar answer (``ResultsClient.columns``) where the
  client has it, and otherwise pages through the search, which is slower;
- ``column_stream``: the columnar answer's bytes as the service sends them
  (NDJSON), for the browser to read as they arrive;
- ``answer_lines``: an answer ``fetch_columns`` gathered, as the same NDJSON.
"""

import itertools
import logging
import threading
import time

import orjson
import requests
from sim2l_sessions.client_errors import ServiceError

logger = logging.getLogger(__name__)

BASE_COLUMNS = ("execution_id", "status", "created_at")
FALLBACK_PAGE_SIZE = 1000


def _schema_of(entry: dict) -> dict:
    schema = entry.get("schema")
    return schema if isinstance(schema, dict) else {}


COLUMNS_TTL_SECONDS = 30.0
_columns_cache: dict = {}
_columns_lock = threading.Lock()


def explorer_columns(results, catalog, name: str, version: str | None) -> list[dict]:
    """The simulation's columns, kept ``COLUMNS_TTL_SECONDS`` per process.

    Every page of the explorer needs them and they change only when a new
    parameter first appears; asking two services for them on every page
    would cost more than the page's own search. The data itself is never
    kept: each page still asks the results service with the user's token.
    """
    key = (results.base_url, catalog.base_url, name, version)
    now = time.monotonic()
    with _columns_lock:
        cached = _columns_cache.get(key)
    if cached and now - cached[0] < COLUMNS_TTL_SECONDS:
        return cached[1]
    columns = read_explorer_columns(results, catalog, name, version)
    with _columns_lock:
        if len(_columns_cache) > 1000:  # many simulations: start over rather than grow
            _columns_cache.clear()
        _columns_cache[key] = (now, columns)
    return columns


def read_explorer_columns(results, catalog, name: str, version: str | None) -> list[dict]:
    """``[{"key": "inputs.x", "name", "param_class", "type", "units", "min", "max", ...}]``."""
    columns = {}
    for entry in results.parameter_schemas(name, version):
        prefix = "inputs" if entry["param_class"] == "input" else "outputs"
        key = f"{prefix}.{entry['name']}"
        schema = _schema_of(entry)
        column = columns.setdefault(
            key, {"key": key, "name": entry["name"], "param_class": entry["param_class"]}
        )
        for field in ("type", "units", "min_value", "max_value", "description"):
            if schema.get(field) is not None and column.get(field) is None:
                column[field] = schema[field]
    try:
        declared = catalog.get_simulation(name, version).get("schema") or {}
    except ServiceError:
        declared = {}  # not in the catalog (or it is down): the runs' schemas are enough
    for prefix in ("inputs", "outputs"):
        for param, spec in (declared.get(prefix) or {}).items():
            spec = spec if isinstance(spec, dict) else {}
            key = f"{prefix}.{param}"
            column = columns.setdefault(
                key, {"key": key, "name": param, "param_class": prefix[:-1]}
            )
            for field, source in (("type", "type"), ("units", "units"), ("min_value", "min")):
                if column.get(field) is None and spec.get(source) is not None:
                    column[field] = spec[source]
            if column.get("max_value") is None and spec.get("max") is not None:
                column["max_value"] = spec["max"]
    for column in columns.values():
        units = column.get("units")
        column["label"] = column["key"] + (f" [{units}]" if units else "")
    return sorted(columns.values(), key=lambda column: (column["param_class"], column["name"]))


def fetch_page(results, *, position: str | None, **criteria) -> tuple[list[dict], str | None]:
    """``(runs, next position)``: one page; ``position`` is the service's opaque cursor.

    A keyset page: the next one starts after this page's last run, so a page
    deep in the results costs what the first costs.
    """
    page = results.search_page(cursor=position or None, **criteria)
    return page["items"], page["next_cursor"]


def iter_pages(results, page_size: int, **criteria):
    """Every page of a search, in order: lists of runs (for the CSV and the slow path)."""
    position = None
    while True:
        items, position = fetch_page(results, position=position, limit=page_size, **criteria)
        yield items
        if position is None:
            return


def value_of(run: dict, key: str):
    """The value of column ``key`` (``inputs.x``, ``outputs.y`` or a run field) in a run."""
    prefix, _, name = key.partition(".")
    if prefix == "inputs" and name:
        return (run.get("input_params") or {}).get(name)
    if prefix == "outputs" and name:
        return (run.get("output_params") or {}).get(name)
    return run.get(key)


def has_columnar_answer(results) -> bool:
    """Whether the client offers the results service's columnar answer."""
    return callable(getattr(results, "columns", None))


def fetch_columns(
    results,
    name: str,
    input_filters: dict,
    output_filters: dict,
    *,
    version: str | None,
    columns: list[str],
    units: dict | None = None,
    types: dict | None = None,
    base_columns=BASE_COLUMNS,
) -> dict:
    """``{"count", "columns": {key: [...]}, "units", "types", "source"}`` over all matching runs.

    ``base_columns``: which of execution_id, status and created_at to include
    (the plots need only the execution id; fewer columns, less to send).
    """
    wanted = list(dict.fromkeys([*base_columns, *columns]))
    if has_columnar_answer(results):
        answer = results.columns(
            name,
            input_filters or None,
            output_filters or None,
            simulation_version=version,
            columns=wanted,
        )
        answer.setdefault("units", {})
        answer.setdefault("types", {})
        answer["source"] = "columnar"
        return answer
    gathered = {key: [] for key in wanted}
    count = 0
    # The slower fallback: every page of the search, turned into columns here.
    pages = iter_pages(
        results,
        FALLBACK_PAGE_SIZE,
        simulation_name=name,
        input_filters=input_filters or None,
        output_filters=output_filters or None,
        simulation_version=version,
        sort="created_at",
    )
    for items in pages:
        for run in items:
            for key in wanted:
                gathered[key].append(value_of(run, key))
        count += len(items)
    return {
        "simulation_name": name,
        "count": count,
        "columns": gathered,
        "units": {key: value for key, value in (units or {}).items() if key in gathered},
        "types": {key: value for key, value in (types or {}).items() if key in gathered},
        "source": "search pages",
    }


STREAM_CHUNK_BYTES = 256 * 1024
CUT_SHORT = (
    b'\n{"error": {"code": "cut_short", "message": "the results service stopped answering"}}\n'
)


def column_stream(
    results, name: str, input_filters: dict, output_filters: dict, *, version, columns
):
    """The columnar answer's NDJSON bytes, passed on unparsed; None when it cannot be passed on.

    ``ResultsClient.column_chunks`` parses every line and ``columns`` joins
    them into lists, which the dashboard would encode again for the browser:
    for 100,000 runs that costs more than sending the bytes on. So the
    request goes through the client's one request path (its token,
    timeouts, retries and error mapping: a refused request raises before
    the first byte) and the answer's body is passed on as it arrives. The
    lines are the service's: a header (``columns``, ``types``, ``units``),
    chunks (``{"columns": {...}}``), then ``{"count": n}``, or
    ``{"error": {...}}`` when the service fails part-way; the browser checks
    for the trailer, so a cut-short answer is never drawn as a whole one.
    """
    if not has_columnar_answer(results):
        return None
    body = {"simulation_name": name, "columns": list(columns)}
    for key, value in (
        ("input_filters", input_filters),
        ("output_filters", output_filters),
        ("simulation_version", version),
    ):
        if value:
            body[key] = value
    response = results._request(
        "POST", "/results/columns", json=body, idempotent=True, stream=True, raw=True
    )
    if not response.headers.get("Content-Type", "").startswith("application/x-ndjson"):
        # Not the lines the page reads (another version of the service):
        # gather through the client instead, which knows its answer.
        response.close()
        return None

    def chunks():
        with response:
            try:
                yield from response.iter_content(chunk_size=STREAM_CHUNK_BYTES)
            except requests.RequestException as error:
                # The headers are sent: say so in the answer's own terms. The
                # newline first ends whatever line the service was cut in.
                logger.warning("columnar answer from %s cut short: %s", results.base_url, error)
                yield CUT_SHORT

    return chunks()


def answer_lines(answer: dict):
    """A gathered answer as the columnar answer's NDJSON lines: header, one chunk, count."""
    header = {
        "simulation_name": answer.get("simulation_name"),
        "simulation_version": answer.get("simulation_version"),
        "columns": list(answer["columns"]),
        "types": answer.get("types", {}),
        "units": answer.get("units", {}),
    }
    messages = ({"columns": answer["columns"]}, {"count": answer["count"]})
    return (orjson.dumps(message) + b"\n" for message in itertools.chain([header], messages))
