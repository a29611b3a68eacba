"""``/runs/<execution_id>``: one run's summary, inputs and outputs with units, logs, metrics,
artifacts (download and inline preview of text, CSV and images), provenance, environment,
and the run file itself.
"""

import csv
import io
import urllib.parse

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import g
from flask import render_template
from flask import request
from flask import stream_with_context

from sim2l_web import runfile
from sim2l_web import services
from sim2l_web.auth import login_required
from sim2l_web.results_data import explorer_columns

run_blueprint = Blueprint("run", __name__)

# Images a browser shows inline; never SVG (it can carry script).
INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
TEXT_TYPES = ("text/", "application/json", "application/csv")
PREVIEW_CSV_ROWS = 50


def _result(execution_id: str) -> dict:
    try:
        result = services.results().get_result(execution_id)
    except ValueError:  # the client refuses a malformed execution id before sending it
        abort(404, description=f"{execution_id!r} is not an execution id")
    if result is None:
        abort(404, description=f"no registered run {execution_id!r}")
    return result


def _local_file(result: dict):
    config = current_app.config["SIM2L_WEB"]
    return runfile.local_copy(
        services.results(),
        result["execution_id"],
        result.get("sha256"),
        config["run_file_cache_size"],
    )


def _kind(content_type: str | None, name: str) -> str:
    content_type = (content_type or "").split(";")[0].strip().lower()
    if content_type in INLINE_IMAGES:
        return "image"
    if content_type in ("text/csv", "application/csv") or name.lower().endswith(".csv"):
        return "csv"
    if content_type.startswith(TEXT_TYPES) or name.lower().endswith((".txt", ".log", ".json")):
        return "text"
    return "binary"


def _preview(path, item: dict, limit: int) -> dict | None:
    kind = _kind(item.get("content_type"), item["name"])
    if kind in ("image", "binary"):
        return {"kind": kind}
    found = runfile.artifact(path, item["name"], max_bytes=limit)
    if found is None:
        return None
    text = found[1].decode("utf-8", errors="replace")
    truncated = (item.get("size") or 0) > limit
    if kind == "csv":
        rows = list(csv.reader(io.StringIO(text)))[:PREVIEW_CSV_ROWS]
        return {
            "kind": "csv",
            "rows": rows,
            "truncated": truncated or len(rows) == PREVIEW_CSV_ROWS,
        }
    return {"kind": "text", "text": text, "truncated": truncated}


@run_blueprint.get("/runs/<execution_id>")
@login_required
def run(execution_id):
    """The run page."""
    result = _result(execution_id)
    level = request.args.get("level") or None
    if level is not None and level not in runfile.LOG_LEVELS:
        abort(400, description=f"level must be one of {', '.join(runfile.LOG_LEVELS)}")
    details, problem = None, None
    try:
        path = _local_file(result)
        details = runfile.read_details(path, level)
    except runfile.RunFileError as error:
        problem = str(error)
    previews = {}
    if details:
        limit = current_app.config["SIM2L_WEB"]["preview_bytes"]
        for item in details["artifacts"][:20]:
            previews[item["name"]] = _preview(path, item, limit)
    units = run_units(result)
    return render_template(
        "run.html",
        result=result,
        details=details,
        problem=problem,
        previews=previews,
        level=level,
        levels=runfile.LOG_LEVELS,
        input_units=units["input"],
        output_units=units["output"],
    )


def run_units(result: dict) -> dict:
    """``{"input": {name: units}, "output": {...}}``: the run's own, else the declared ones."""
    own = result.get("units") if isinstance(result.get("units"), dict) else {}
    units = {"input": dict(own.get("input") or {}), "output": dict(own.get("output") or {})}
    # Compare asks for many runs of one simulation: its columns once per request.
    known = g.setdefault("declared_columns", {})
    key = (result["simulation_name"], result.get("simulation_version"))
    if key not in known:
        known[key] = explorer_columns(services.results(), services.catalog(), *key)
    for column in known[key]:
        if column.get("units"):
            units[column["param_class"]].setdefault(column["name"], column["units"])
    return units


def _attachment(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("\\", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{urllib.parse.quote(name)}"


@run_blueprint.get("/runs/<execution_id>/artifacts/<path:name>")
@login_required
def artifact(execution_id, name):
    """An artifact's content: a download, or an image shown inline with ``?inline=1``."""
    result = _result(execution_id)
    try:
        found = runfile.artifact(_local_file(result), name)
    except runfile.RunFileError as error:
        abort(502, description=str(error))
    if found is None:
        abort(404, description=f"run {execution_id} has no artifact {name!r}")
    record, content = found
    content_type = (record.get("content_type") or "").split(";")[0].strip().lower()
    response = Response(content)
    if request.args.get("inline") == "1" and content_type in INLINE_IMAGES:
        response.mimetype = content_type
    else:
        # Served as an opaque download: an HTML or SVG artifact must not run as this site.
        response.mimetype = "application/octet-stream"
        response.headers["Content-Disposition"] = _attachment(name)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@run_blueprint.get("/runs/<execution_id>/file")
@login_required
def run_file(execution_id):
    """The run's SQLite file, streamed from the results service."""
    result = _result(execution_id)
    path = _local_file(result)

    def chunks():
        with open(path, "rb") as stream:
            while block := stream.read(1024 * 1024):
                yield block

    return Response(
        stream_with_context(chunks()),
        mimetype="application/vnd.sqlite3",
        headers={"Content-Disposition": _attachment(f"{result['execution_id']}.db")},
    )
