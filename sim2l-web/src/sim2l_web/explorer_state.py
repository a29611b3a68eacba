"""The runs explorer's whole state, read from (and written back to) the URL.

Filters (``p``/``op``/``v``), ``version``, ``status``, ``sort``, chosen
columns (``c``), ``varying``, the page position (``cursor``) and the plot
settings (``x``, ``y``, ``color``, ``logx``, ``logy``, ``hist``, ``pc``) all
live in the query string, so a view can be bookmarked and shared.
"""

import dataclasses

from sim2l_web import filters as filtering

PLOT_KEYS = ("x", "y", "color", "hist")
FLAG_KEYS = ("logx", "logy", "varying")
STATUSES = ("completed", "failed", "cancelled", "timeout", "running", "created")


@dataclasses.dataclass
class ExplorerState:
    """What the runs explorer shows."""

    filters: list
    version: str | None
    status: str | None
    sort: str
    chosen: list
    varying: bool
    position: str | None
    limit: int
    plot: dict
    parallel: list

    def pairs(self, **changes) -> list[tuple[str, str]]:
        """The state as query pairs, with ``changes`` applied (None drops a key)."""
        values = {
            "version": self.version,
            "status": self.status,
            "sort": self.sort,
            "varying": "1" if self.varying else None,
            "cursor": self.position,
            "limit": None,
            **{key: self.plot.get(key) for key in PLOT_KEYS},
            "logx": "1" if self.plot.get("logx") else None,
            "logy": "1" if self.plot.get("logy") else None,
        }
        filter_list = changes.pop("filters", self.filters)
        chosen = changes.pop("chosen", self.chosen)
        parallel = changes.pop("parallel", self.parallel)
        values.update(changes)
        pairs = filtering.query_pairs(filter_list)
        pairs += [(key, str(value)) for key, value in values.items() if value not in (None, "")]
        pairs += [("c", column) for column in chosen]
        pairs += [("pc", column) for column in parallel]
        return pairs


def read_state(args, columns: list[dict], default_limit: int, max_limit: int) -> ExplorerState:
    """The state in ``args`` (a request's query), checked against the simulation's columns."""
    kinds = {column["key"]: column.get("type") for column in columns}
    known = set(kinds)
    parsed = filtering.parse_filters(args, kinds)
    for item in parsed:
        if known and item.column not in known:
            raise filtering.FilterError(f"this simulation has no column {item.column}")
    sort = args.get("sort") or "-created_at"
    filtering.service_sort(sort)  # an error for an unknown sort
    sort_key = sort.lstrip("-")
    if "." in sort_key and known and sort_key not in known:
        raise filtering.FilterError(f"this simulation has no column {sort_key}")
    status = args.get("status") or None
    if status is not None and status not in STATUSES:
        raise filtering.FilterError(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
    try:
        limit = int(args.get("limit", default_limit))
    except ValueError:
        raise filtering.FilterError("limit must be a whole number") from None
    if not 1 <= limit <= max_limit:
        raise filtering.FilterError(f"limit must be between 1 and {max_limit}")
    chosen = [key for key in args.getlist("c") if key in known]
    plot = {key: args.get(key) if args.get(key) in known else None for key in PLOT_KEYS}
    plot["logx"] = args.get("logx") == "1"
    plot["logy"] = args.get("logy") == "1"
    return ExplorerState(
        filters=parsed,
        version=args.get("version") or None,
        status=status,
        sort=sort,
        chosen=chosen,
        varying=args.get("varying") == "1",
        position=args.get("cursor") or None,
        limit=limit,
        plot=plot,
        parallel=[key for key in args.getlist("pc") if key in known],
    )
