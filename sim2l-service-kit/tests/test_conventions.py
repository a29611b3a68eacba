"""The conventions every service shares, each written once in the kit or the services table."""

import pytest
from sim2l_service_kit import ServiceCommandLine
from sim2l_service_kit import actor
from sim2l_service_kit.config import ConfigError
from sim2l_service_kit.config import env_flag
from sim2l_service_kit.gunicorn_hooks import HOOKS
from sim2l_service_kit.gunicorn_settings import gunicorn_settings
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.services import SERVICES


def test_the_services_table_derives_every_name_of_a_service():
    cache = SERVICES["cache"]
    assert (cache.port, cache.command) == (8001, "sim2l-cache-service")
    assert cache.migrations_package == "sim2l_cache_service.migrations"
    assert cache.app_factory == "sim2l_cache_service.app:create_app"
    assert cache.cli_module == "sim2l_cache_service.cli"
    assert sorted(info.port for info in SERVICES.values()) == [8001, 8002, 8003]


def test_command_line_takes_its_defaults_from_the_table():
    command = ServiceCommandLine(SERVICES["results"])
    args = command.parser().parse_args(["serve"])
    assert args.port == 8003
    assert command.parser().prog == "sim2l-results-service"
    options = command.gunicorn_options(args)
    assert options["bind"] == "127.0.0.1:8003" and options["accesslog"] is None
    assert options["on_starting"] is HOOKS["on_starting"]  # /metrics over every worker
    own = ("bind", "workers", *HOOKS)
    assert {k: v for k, v in options.items() if k not in own} == {
        k: v for k, v in gunicorn_settings().items() if k not in own
    }


def test_actor_is_the_user_or_the_whole_token_id():
    manager = SessionManager()
    anonymous = manager.create_anonymous_session()
    assert actor(anonymous) == f"anonymous:{anonymous.token_id}"
    manager.create_user("ada", "pw", "user")
    assert actor(manager.authenticate("ada", "pw")) == "ada"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, True), ("", True), ("  ", True), ("0", False), ("off", False), ("Yes", True)],
)
def test_one_boolean_parser_empty_means_unset(raw, expected):
    environ = {} if raw is None else {"FLAG": raw}
    assert env_flag("FLAG", True, environ) is expected


def test_boolean_parser_names_a_bad_value():
    with pytest.raises(ConfigError, match="FLAG must be true or false"):
        env_flag("FLAG", False, {"FLAG": "maybe"})


def test_gunicorn_settings_are_read_from_the_environment_once():
    quiet = gunicorn_settings({})
    assert (
        quiet["accesslog"] is None
        and quiet["worker_class"] == "sim2l_service_kit.gunicorn_worker.JSONErrorWorker"
    )
    assert quiet["bind"].endswith(":8000")
    image = gunicorn_settings({"SIM2L_SERVICE": "catalog"})
    assert image["bind"] == "0.0.0.0:8002" and image["accesslog"] is None
    assert gunicorn_settings({"PORT": "9000", "WEB_CONCURRENCY": "3"})["workers"] == 3
