"""``create_app(config=None)``: the dashboard's Flask app.

Gunicorn runs it as ``sim2l_web.app:create_app()``.
"""

import datetime

from flask import Flask
from flask import session
from werkzeug.middleware.proxy_fix import ProxyFix

from sim2l_web import formatting
from sim2l_web.assets import asset_version
from sim2l_web.assets import assets_blueprint
from sim2l_web.assets import plotly_injected_sheets
from sim2l_web.auth import auth_blueprint
from sim2l_web.auth import can
from sim2l_web.auth import signed_in
from sim2l_web.config import load_config
from sim2l_web.csrf import check_csrf
from sim2l_web.csrf import csrf_token
from sim2l_web.errors import register_error_handlers
from sim2l_web.security import CookieSessionInterface
from sim2l_web.security import add_security_headers
from sim2l_web.services import close_clients
from sim2l_web.views import register_views


def create_app(config: dict | None = None) -> Flask:
    """The dashboard: defaults, then ``SIM2L_*`` environment, then ``config``."""
    settings = load_config(config)
    app = Flask(__name__)
    app.config.update(
        SIM2L_WEB=settings,
        SECRET_KEY=settings["secret_key"],
        SESSION_COOKIE_NAME="sim2l_web",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings["cookie_secure"],
        PERMANENT_SESSION_LIFETIME=datetime.timedelta(hours=24),
        MAX_CONTENT_LENGTH=1024 * 1024,  # forms only; nothing large is ever posted here
    )
    app.session_interface = CookieSessionInterface()
    # Behind one reverse proxy (the cluster's ingress), trust its X-Forwarded-Proto
    # so the cookie is marked Secure when the user is on https.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1)
    app.before_request(check_csrf)
    app.after_request(add_security_headers)
    app.teardown_request(close_clients)
    app.jinja_env.globals.update(
        csrf_token=csrf_token,
        can=can,
        signed_in=signed_in,
        current_user=lambda: session.get("username"),
        current_role=lambda: session.get("role"),
        asset_version=asset_version,
        plotly_injected_sheets=plotly_injected_sheets,
    )
    formatting.register(app)
    app.register_blueprint(assets_blueprint)
    app.register_blueprint(auth_blueprint)
    register_views(app)
    register_error_handlers(app)

    @app.get("/health")
    def health():
        """Alive (no service is asked): the liveness probe."""
        return {"status": "ok"}

    @app.get("/ready")
    def ready():
        """Ready to serve pages (the factory ran with a valid configuration).

        No service is asked: a service that is down is shown on the pages,
        it must not take every dashboard replica out of rotation.
        """
        return {"status": "ready"}

    return app
