"""An index for time-sorted searches: the newest runs of a simulation, in order."""


def up(database, migrator):
    """Create ``results_result_sim_time`` on ``(simulation_name, created_at, id)``."""
    database.execute_sql(
        "CREATE INDEX IF NOT EXISTS results_result_sim_time ON results_result "
        "(simulation_name, created_at, id)"
    )
