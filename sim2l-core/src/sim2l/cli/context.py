"""What the command line connects to.

Settings come from ``SIM2L_*`` variables as everywhere. When a service URL is
not set but ``sim2l services up`` started that service on this machine, the
command line uses it, with a session it mints locally (this machine holds
the secret the services verify with; or the one ``sim2l login`` kept) and
catalog auto-sync on, so
``sim2l services up && sim2l run thermal_sim temperature=350`` goes through the
whole path with no configuration.
"""

from sim2l.cli import local_services
from sim2l.cli.errors import CommandError
from sim2l.settings import configure
from sim2l.settings import get_settings


def configure_from_local_services() -> dict:
    """Point unset service URLs at locally started services; returns what was set."""
    settings = get_settings()
    state = local_services.read_state()
    chosen = {}
    for name in local_services.SERVICE_NAMES:
        unset = getattr(settings, f"{name}_service_url") is None
        if unset and name in state and local_services.is_our_process(state[name]["pid"]):
            chosen[f"{name}_service_url"] = state[name]["url"]
    if not chosen:
        return {}
    session_id = _logged_in_session_id()
    if session_id is None:
        from sim2l_sessions import get_session_manager

        # Developer privileges, so an unknown simulation can be registered (auto-sync).
        anonymous = get_session_manager().create_anonymous_session(privileges=["developer"])
        session_id = anonymous.session_id
    for name in local_services.SERVICE_NAMES:
        if f"{name}_service_url" in chosen and getattr(settings, f"{name}_session_id") is None:
            chosen[f"{name}_session_id"] = session_id
    if "catalog_service_url" in chosen:
        chosen["catalog_auto_sync"] = True
    configure(**chosen)
    return chosen


def client(service: str):
    """A client of ``service`` from the settings, or CommandError saying how to configure it."""
    from sim2l.runner.links import make_client

    configure_from_local_services()
    settings = get_settings()
    url = getattr(settings, f"{service}_service_url")
    if not url:
        raise CommandError(
            f"no {service} service: set SIM2L_{service.upper()}_SERVICE_URL "
            f"(and SIM2L_{service.upper()}_SESSION_ID), or start one with `sim2l services up`"
        )
    session_id = getattr(settings, f"{service}_session_id") or _logged_in_session_id()
    return make_client(service, url, session_id, settings.run_db_base_path)


def _logged_in_session_id() -> str | None:
    """The token ``sim2l login`` kept, if any."""
    from sim2l.cli.login import saved_session

    record = saved_session()
    return record["session_id"] if record else None
