"""PostgreSQL: a parameter's key, a 32-bit number made from its class and name, for narrow probes.

Reading one parameter of many given runs (``result_id = ANY(...)``, or a
probe per run) descends an index once per run. On ``results_value_column``,
``(param_class, name, result_id)``, that is four levels of text keys at
100,000 runs (about 2.8 ms for 910 runs); on ``results_value_key``,
``((key), result_id)``, three levels of integers (about 1.7 ms): what the
statistics under a selective filter and the columnar answer's sparse chunks
do (migration 0009). SQLite needs no such index: its probes cost a third.

The key is the first 32 bits of the md5 of ``param_class:name``, written
with documented functions only, so every server computes the same one and
the index never needs rebuilding. Two names may share a key, so a probe also
checks the class and name, read from the index's included columns. It checks
them as one text (``param_class || ':' || name``; a class holds no colon): as
two plain equalities they would let the planner read ``results_value_column``
or the primary key instead, by estimates that vary with the statistics.
"""

ONE_PARAMETER = "?::text || ':' || ?::text"  # a parameter's text from bound values


def text_of(alias: str) -> str:
    """``param_class:name`` of the value row aliased ``alias``, as SQL."""
    return f"{alias}.param_class || ':' || {alias}.name"


def key_of_text(text_sql: str) -> str:
    """The key of a ``param_class:name`` text, as SQL."""
    return f"('x' || left(md5({text_sql}), 8))::bit(32)::integer"


def key_of(alias: str) -> str:
    """The key of the value row aliased ``alias`` (the indexed expression, written the same)."""
    return key_of_text(text_of(alias))


def key_condition(alias: str, text_sql: str = ONE_PARAMETER, key_sql: str | None = None) -> str:
    """SQL: the row ``alias`` holds the parameter whose ``param_class:name`` is ``text_sql``.

    With the default marks, bind ``key_values(param_class, name)``. A probe
    joined to a list of parameters passes that list's text and key columns,
    computed once per parameter rather than once per probe.
    """
    key_sql = key_sql or key_of_text(text_sql)
    return f"{key_of(alias)} = {key_sql} AND ({text_of(alias)}) = ({text_sql})"


def key_values(param_class: str, name: str) -> list:
    """The values of ``key_condition``'s default marks for one parameter."""
    return [param_class, name, param_class, name]
