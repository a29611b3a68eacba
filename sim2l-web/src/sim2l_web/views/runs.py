"""``/simulations/<name>/runs``: the results explorer of one simulation.

A table with one column per input and output (units in the header), filters
with every search operator, sort by any column, keyset pages, a column
chooser, "only columns that vary", a CSV download of every matching run, and
the plots' columnar data over all matching runs (``runs/data.json``).
"""

import csv
import io
import itertools

import orjson
from flask import Blueprint
from flask import Response
from flask import current_app
from flask import render_template
from flask import request
from flask import stream_with_context
from flask import url_for

from sim2l_web import filters as filtering
from sim2l_web import services
from sim2l_web.auth import login_required
from sim2l_web.explorer_state import STATUSES
from sim2l_web.explorer_state import read_state
from sim2l_web.formatting import rfc3339
from sim2l_web.results_data import BASE_COLUMNS
from sim2l_web.results_data import answer_lines
from sim2l_web.results_data import column_stream
from sim2l_web.results_data import explorer_columns
from sim2l_web.results_data import fetch_columns
from sim2l_web.results_data import fetch_page
from sim2l_web.results_data import iter_pages
from sim2l_web.results_data import value_of
from sim2l_web.run_table import table_body
from sim2l_web.security import allow_plot_code

runs_blueprint = Blueprint("runs", __name__)

DEFAULT_VISIBLE = 24  # columns shown before the user chooses (wide tables stay readable)
MAX_PLOT_COLUMNS = 12
CSV_PAGE_SIZE = 1000


def _explorer(name: str):
    config = current_app.config["SIM2L_WEB"]
    version = request.args.get("version") or None
    columns = explorer_columns(services.results(), services.catalog(), name, version)
    state = read_state(request.args, columns, config["page_size"], config["max_page_size"])
    input_filters, output_filters = filtering.search_filters(state.filters)
    return columns, state, input_filters, output_filters


def _criteria(name: str, state, input_filters: dict, output_filters: dict) -> dict:
    """The search the explorer's state asks for (without the page position and size)."""
    return {
        "simulation_name": name,
        "input_filters": input_filters or None,
        "output_filters": output_filters or None,
        "simulation_version": state.version,
        "status": state.status,
        "sort": filtering.service_sort(state.sort),
    }


def _visible(columns: list[dict], state, rows: list[dict]) -> list[dict]:
    shown = [c for c in columns if c["key"] in state.chosen] if state.chosen else columns
    shown = shown if state.chosen else shown[:DEFAULT_VISIBLE]
    if state.varying and len(rows) > 1:
        shown = [
            column
            for column in shown
            if len({repr(value_of(row, column["key"])) for row in rows}) > 1
        ]
    return shown


@runs_blueprint.get("/simulations/<name>/runs")
@login_required
def explorer(name):
    """The table of matching runs, one page of them, and the plots' settings."""
    columns, state, input_filters, output_filters = _explorer(name)
    rows, following = fetch_page(
        services.results(),
        position=state.position,
        limit=state.limit,
        **_criteria(name, state, input_filters, output_filters),
    )
    base = url_for("runs.explorer", name=name)
    if state.plot["x"] and state.plot["y"] or state.plot["hist"] or state.parallel:
        allow_plot_code()
    visible = _visible(columns, state, rows)
    return render_template(
        "runs.html",
        name=name,
        columns=columns,
        visible=visible,
        rows=rows,
        body=table_body(rows, visible),
        state=state,
        statuses=STATUSES,
        operators=filtering.OPERATORS,
        url=lambda **changes: filtering.url_with(base, state.pairs(**changes)),
        data_url=filtering.url_with(
            url_for("runs.data_stream", name=name), state.pairs(cursor=None, sort=None)
        ),
        csv_url=filtering.url_with(
            url_for("runs.download_csv", name=name), state.pairs(cursor=None)
        ),
        next_url=(filtering.url_with(base, state.pairs(cursor=following)) if following else None),
        first_url=(filtering.url_with(base, state.pairs(cursor=None)) if state.position else None),
        numeric=[c for c in columns if _is_numeric(c)],
    )


def _is_numeric(column: dict) -> bool:
    return (column.get("type") or "number") in filtering.NUMERIC_TYPES


def _plot_columns(state, columns: list[dict]) -> list[str]:
    known = {column["key"] for column in columns}
    asked = [key for key in request.args.getlist("col") if key in known]
    chosen = asked or [
        key
        for key in (*(state.plot[k] for k in ("x", "y", "color", "hist")), *state.parallel)
        if key
    ]
    if not chosen:  # nothing chosen yet: the first numeric input and output
        numeric = [c["key"] for c in columns if _is_numeric(c)]
        chosen = numeric[:2]
    return list(dict.fromkeys(chosen))[:MAX_PLOT_COLUMNS]


def _labels(columns: list[dict]) -> dict:
    return {c["key"]: c["key"] + (f" [{c['units']}]" if c.get("units") else "") for c in columns}


def _gathered(name: str, columns, state, input_filters, output_filters, chosen) -> dict:
    """The plots' data gathered here: the chosen columns of every matching run, as columns."""
    answer = fetch_columns(
        services.results(),
        name,
        input_filters,
        output_filters,
        version=state.version,
        columns=chosen,
        units={c["key"]: c.get("units") for c in columns if c.get("units")},
        types={c["key"]: c.get("type") for c in columns if c.get("type")},
        # The execution id names a point (hover, click); status only to filter by it.
        base_columns=("execution_id", "status") if state.status else ("execution_id",),
    )
    if state.status:  # the columnar answer has no status filter: apply it here
        keep = [i for i, status in enumerate(answer["columns"]["status"]) if status == state.status]
        answer["columns"] = {k: [v[i] for i in keep] for k, v in answer["columns"].items()}
        answer["count"] = len(keep)
    return answer


@runs_blueprint.get("/simulations/<name>/runs/data.json")
@login_required
def data(name):
    """The plots' data: the chosen columns over every matching run, as columns."""
    columns, state, input_filters, output_filters = _explorer(name)
    chosen = _plot_columns(state, columns)
    answer = _gathered(name, columns, state, input_filters, output_filters, chosen)
    answer["labels"] = _labels(columns)
    return json_response(answer)


@runs_blueprint.get("/simulations/<name>/runs/data.ndjson")
@login_required
def data_stream(name):
    """The plots' data as it arrives: the results service's columnar answer, passed on.

    NDJSON: first the dashboard's line (``labels``, ``source``), then the
    columnar answer's own lines unparsed (header, chunks of columns, and
    ``{"count": n}`` last). What the columnar answer cannot do (a status
    filter, an older client) is gathered here and sent as the same lines.
    """
    columns, state, input_filters, output_filters = _explorer(name)
    chosen = _plot_columns(state, columns)
    lines = None
    if not state.status:
        lines = column_stream(
            services.results(),
            name,
            input_filters,
            output_filters,
            version=state.version,
            columns=["execution_id", *chosen],
        )
    source = "columnar, streamed"
    if lines is None:
        answer = _gathered(name, columns, state, input_filters, output_filters, chosen)
        lines, source = answer_lines(answer), answer["source"]
    first = orjson.dumps({"labels": _labels(columns), "source": source}) + b"\n"
    return Response(
        stream_with_context(itertools.chain([first], lines)), mimetype="application/x-ndjson"
    )


def json_response(body: dict) -> Response:
    """JSON encoded with orjson: 100,000 runs of three columns are about 10 MB of it."""
    return Response(orjson.dumps(body), mimetype="application/json")


def _header(column: str, units: dict) -> str:
    return column + (f" [{units[column]}]" if units.get(column) else "")


def _csv_value(row: dict, key: str):
    value = value_of(row, key)
    return rfc3339(value) if key == "created_at" else value


@runs_blueprint.get("/simulations/<name>/runs.csv")
@login_required
def download_csv(name):
    """Every matching run as CSV: the chosen columns (all when none chosen), units in the header."""
    columns, state, input_filters, output_filters = _explorer(name)
    chosen = [c["key"] for c in columns if not state.chosen or c["key"] in state.chosen]
    units = {c["key"]: c.get("units") for c in columns}
    results = services.results()

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([*BASE_COLUMNS, *(_header(key, units) for key in chosen)])
        pages = iter_pages(
            results, CSV_PAGE_SIZE, **_criteria(name, state, input_filters, output_filters)
        )
        for rows in pages:
            for row in rows:
                writer.writerow([_csv_value(row, key) for key in (*BASE_COLUMNS, *chosen)])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}-runs.csv"'},
    )
