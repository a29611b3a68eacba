"""The orders a list of runs can be sorted in, as keyset sort keys.

Every order is one direction over a whole sort key that ends with the run's
id, so "the runs after this one" is one row comparison
(``(k0, k1, id) < (?, ?, ?)`` newest first) that the time index answers,
and a cursor (the key of a page's last run) resumes exactly there: runs
registered or deleted between two pages neither repeat nor skip the others.

Values that may be missing sort last in both directions: such a key is
``(flag, value or a stand-in, ...)`` where the flag puts the runs lacking the
value after the others, so each run has one place in the order and appears
on exactly one page. A parameter sorts numbers first, then strings, then runs
without the parameter (or with a null or non-scalar value), ties broken by
creation time, then id: the order of the value indexes, which
``sorted_by_parameter`` reads a page of all runs from.
"""

from dataclasses import dataclass

from sim2l_results_service.filters import QueryError

TIME_SORTS = (
    "created_at",
    "started_at",
    "completed_at",
    "registered_at",
    "duration_seconds",
    "execution_id",
)
# Registration always fills these, so their keys need no null flag (which
# would keep the database from reading runs in the order of an index).
NEVER_NULL_SORTS = ("created_at", "registered_at", "execution_id")
DEFAULT_SORT = "-created_at"
PARAMETER_JOIN = (
    "LEFT JOIN results_parameter_value s ON s.result_id = r.id AND s.param_class = ? AND s.name = ?"
)


@dataclass(frozen=True)
class Order:
    """A sort of runs: its key's SQL expressions (the last is ``r.id``) and their kinds."""

    name: str  # the cursor's order: a cursor of another sort is refused
    keys: tuple[str, ...]
    kinds: tuple[type, ...]
    descending: bool
    join: str = ""
    join_params: tuple = ()

    @property
    def direction(self) -> str:
        """``DESC`` or ``ASC``: one direction for every part of the key."""
        return "DESC" if self.descending else "ASC"

    @property
    def by_creation(self) -> bool:
        """Sorted by creation time: the newest (or oldest) runs come first."""
        return self.keys == ("r.created_at", "r.id")

    def after(self, key: tuple | None, keys: tuple[str, ...] | None = None) -> tuple[str, list]:
        """The condition "comes after ``key``" on ``keys`` (this order's own by default)."""
        if key is None:
            return "1 = 1", []
        sign = "<" if self.descending else ">"
        columns = ", ".join(keys or self.keys)
        return f"({columns}) {sign} ({', '.join('?' * len(key))})", list(key)

    def order_by(self, keys: tuple[str, ...] | None = None) -> str:
        """``ORDER BY``'s list for ``keys`` (this order's own by default)."""
        return ", ".join(f"{key} {self.direction}" for key in keys or self.keys)


def _missing_flag(value: str, descending: bool) -> str:
    """A flag that sorts runs lacking ``value`` after the others, in either direction."""
    missing, present = ("0", "1") if descending else ("1", "0")
    return f"CASE WHEN {value} IS NULL THEN {missing} ELSE {present} END"


def sort_order(sort: str | None) -> Order:
    """The ``Order`` of ``created_at``, ``-duration_seconds``, ``output.max_stress``, ...

    Raises ``QueryError`` (on ``sort``) for anything else.
    """
    sort = sort or DEFAULT_SORT
    descending = sort.startswith("-")
    field = sort[1:] if descending else sort
    name = f"runs:{sort}"
    if field in NEVER_NULL_SORTS:
        kind = str if field == "execution_id" else float
        return Order(name, (f"r.{field}", "r.id"), (kind, int), descending)
    if field in TIME_SORTS:
        flag = _missing_flag(f"r.{field}", descending)
        keys = (flag, f"COALESCE(r.{field}, 0.0)", "r.id")
        return Order(name, keys, (int, float, int), descending)
    param_class, _, param = field.partition(".")
    if param_class in ("input", "output") and param:
        number_flag = _missing_flag("s.num_value", descending)
        text_flag = _missing_flag("s.str_value", descending)
        keys = (
            number_flag,
            "COALESCE(s.num_value, 0.0)",
            text_flag,
            "COALESCE(s.str_value, '')",
            "r.created_at",
            "r.id",
        )
        kinds = (int, float, int, str, float, int)
        return Order(name, keys, kinds, descending, PARAMETER_JOIN, (param_class, param))
    raise QueryError(
        "sort",
        f"sort by one of {', '.join(TIME_SORTS)} or input.NAME / output.NAME, "
        "with a leading '-' for descending",
    )


def check_sort(sort: str | None) -> None:
    """Raise ``QueryError`` unless ``sort`` names something a search can sort by."""
    sort_order(sort)
