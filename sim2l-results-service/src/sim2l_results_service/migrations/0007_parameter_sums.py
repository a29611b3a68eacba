"""Running sums of each parameter's numeric values, per version: statistics without a scan.

``POST /parameters/stats`` without parameter filters read every value of the
parameter (one index-only range scan: about 40 ms at 100,000 runs). Now
registration keeps, in ``results_parameter_sums``, one row per simulation,
version, param_class and name with

- ``value_count``: how many of its runs hold the parameter as a number;
- ``value_shift``: a fixed number near the values (the first one registered;
  here, the mean), from which the sums take their deviations: the textbook
  sum-of-squares formula loses every digit where the mean is large against
  the spread, deviations from a value inside the data keep them;
- ``value_sum`` and ``value_squares``: the sum of the deviations and of their
  squares;
- ``squares_peak``: the largest ``value_squares`` has been. Deleting runs
  subtracts their deviations, and what rounding left of the large ones
  remains: the statistics trust the sums only while the spread they give is
  not tiny against that peak (``statistics.py``).

The sums are NULL ("unknown", for good: until the row's last numeric value is
gone) when a value is beyond ``SUMMED_MAGNITUDE`` (or not finite): below it no
deviation, square or sum of up to 10^27 of them can overflow a double, so a
registration never meets PostgreSQL's overflow error and the statistics scan
the values instead.

Why a table of its own rather than columns of ``results_parameter_schema``
(which counts runs per schema fingerprint too): a value finds its row from the
value and result rows alone (simulation, version, class, name), where a
fingerprint is only in the run's ``schema_keys_json``, and the statistics want
per version, never per fingerprint. So this migration and the benchmark's bulk
load fill it with one plain ``GROUP BY`` (``fill_statement``).
"""

# Registration's bound (running_sums.SUMMED_MAGNITUDE), written here as the
# migration's own so this migration stays what it was when it ran.
SUMMED_MAGNITUDE = 1e140


def create_statement(database) -> str:
    """The table's DDL for ``database``'s backend (keyed for the statistics' range read)."""
    sqlite = database.__class__.__name__.startswith("Sqlite")
    real, rowid = ("REAL", " WITHOUT ROWID") if sqlite else ("DOUBLE PRECISION", "")
    return f"""CREATE TABLE IF NOT EXISTS results_parameter_sums (
    simulation_name VARCHAR(200) NOT NULL,
    param_class VARCHAR(6) NOT NULL CHECK (param_class IN ('input', 'output')),
    name VARCHAR(200) NOT NULL,
    simulation_version VARCHAR(100) NOT NULL,
    value_count BIGINT NOT NULL,
    value_shift {real},
    value_sum {real},
    value_squares {real},
    squares_peak {real},
    PRIMARY KEY (simulation_name, param_class, name, simulation_version)
){rowid}"""


def fill_statement() -> str:
    """One INSERT of the sums of every stored numeric value (the same on both backends).

    The shift is the mean of the group's values. Each deviation is computed
    only where the group has no value beyond the bound (the ``CASE`` inside
    the sums: PostgreSQL would raise on an overflowing term otherwise).
    """
    numbers = (
        "SELECT v.simulation_name, r.simulation_version, v.param_class, v.name, v.num_value "
        "FROM results_parameter_value v JOIN results_result r ON r.id = v.result_id "
        "WHERE v.num_value IS NOT NULL"
    )
    keys = "simulation_name, simulation_version, param_class, name"
    deviation = "CASE WHEN s.summable THEN n.num_value - s.shift END"
    return (
        "INSERT INTO results_parameter_sums (simulation_name, simulation_version, param_class, "  # noqa: S608 (fixed SQL)
        "name, value_count, value_shift, value_sum, value_squares, squares_peak) "
        f"SELECT {keys}, value_count, value_shift, value_sum, value_squares, value_squares "
        f"FROM (SELECT n.simulation_name, n.simulation_version, n.param_class, n.name, "
        "count(*) AS value_count, CASE WHEN s.summable THEN s.shift END AS value_shift, "
        f"sum({deviation}) AS value_sum, sum(({deviation}) * ({deviation})) AS value_squares "
        f"FROM ({numbers}) n JOIN (SELECT {keys}, "
        f"avg(CASE WHEN abs(num_value) <= {SUMMED_MAGNITUDE!r} THEN num_value END) AS shift, "
        f"max(abs(num_value)) <= {SUMMED_MAGNITUDE!r} AS summable "
        f"FROM ({numbers}) numbers GROUP BY {keys}) s USING ({keys}) "
        "GROUP BY n.simulation_name, n.simulation_version, n.param_class, n.name, "
        "s.shift, s.summable) sums"
    )


def up(database, migrator):
    """Create ``results_parameter_sums`` and fill it from the stored values."""
    database.execute_sql(create_statement(database))
    database.execute_sql(fill_statement())
