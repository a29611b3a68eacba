"""The client installs and imports without Flask, Peewee or psycopg2 (DESIGN section 2)."""

from sim2l_service_kit.testing import assert_light_client


def test_client_brings_no_server_stack():
    assert_light_client("sim2l-results-client", "sim2l_results_client")
