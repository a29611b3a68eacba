"""``/compare?ids=a,b,c``: 2 to 20 runs side by side, only the differences by default."""

from flask import Blueprint
from flask import abort
from flask import render_template
from flask import request

from sim2l_web import services
from sim2l_web.auth import login_required
from sim2l_web.views.run import run_units

compare_blueprint = Blueprint("compare", __name__)

MIN_RUNS, MAX_RUNS = 2, 20
SUMMARY_FIELDS = (
    "simulation_name",
    "simulation_version",
    "status",
    "username",
    "created_at",
    "duration_seconds",
)


def _ids() -> list[str]:
    ids = []
    for raw in request.args.getlist("ids"):
        ids += [part.strip() for part in raw.split(",") if part.strip()]
    ids = list(dict.fromkeys(ids))
    if not MIN_RUNS <= len(ids) <= MAX_RUNS:
        abort(400, description=f"compare takes {MIN_RUNS} to {MAX_RUNS} execution ids (ids=a,b,c)")
    return ids


def comparison_rows(runs: list[dict], only_differences: bool) -> list[dict]:
    """One row per field: ``{"section", "name", "units", "cells", "differs"}``."""
    rows = []

    def add(section, name, values, units=None):
        differs = len({repr(value) for value in values}) > 1
        if differs or not only_differences:
            rows.append(
                {
                    "section": section,
                    "name": name,
                    "units": units,
                    "cells": values,
                    "differs": differs,
                }
            )

    for field in SUMMARY_FIELDS:
        add("run", field, [run.get(field) for run in runs])
    for section, key in (("input", "input_params"), ("output", "output_params")):
        names = sorted({name for run in runs for name in (run.get(key) or {})})
        for name in names:
            units = next(
                (run["units"][section][name] for run in runs if run["units"][section].get(name)),
                None,
            )
            add(section, name, [(run.get(key) or {}).get(name) for run in runs], units)
    return rows


@compare_blueprint.get("/compare")
@login_required
def compare():
    """The comparison table."""
    ids = _ids()
    runs, missing = [], []
    for execution_id in ids:
        try:
            result = services.results().get_result(execution_id)
        except ValueError:
            result = None
        if result is None:
            missing.append(execution_id)
        else:
            result["units"] = run_units(result)
            runs.append(result)
    if len(runs) < MIN_RUNS:
        abort(
            404,
            description=f"not enough registered runs to compare (missing: {', '.join(missing)})",
        )
    only_differences = request.args.get("all") != "1"
    return render_template(
        "compare.html",
        runs=runs,
        missing=missing,
        rows=comparison_rows(runs, only_differences),
        only_differences=only_differences,
        ids=",".join(run["execution_id"] for run in runs),
    )
