"""Response headers and the cookie: a strict Content-Security-Policy and friends.

No inline script or style and no third-party origin: every script, style and
font comes from this app (``/static`` and ``/assets``), so the dashboard
works on a cluster with no internet access and an injected ``<script>`` or
``style=`` attribute does nothing.

One exception, on the one page that draws plots: plotly.js's WebGL traces
(scattergl, parcoords) compile their drawing code with ``new Function``, so
that page's policy adds ``'unsafe-eval'`` (still no inline script and no
other origin). Without it WebGL plots do not draw at all; plotly.js's
``strict`` bundle avoids it but is not shipped by the PyPI package.
"""

from flask import g
from flask import request
from flask.sessions import SecureCookieSessionInterface

EMPTY_STYLE_HASH = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
SCRIPT_SOURCES = "script-src 'self'"
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        SCRIPT_SOURCES,
        # plotly.js sets an empty style attribute on colour bars: that one
        # (the hash of "") and nothing else inline.
        f"style-src 'self' 'unsafe-hashes' '{EMPTY_STYLE_HASH}'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)

PLOTS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    SCRIPT_SOURCES, SCRIPT_SOURCES + " 'unsafe-eval'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def allow_plot_code() -> None:
    """Give this response the plots page's policy (``'unsafe-eval'`` for WebGL traces)."""
    g.csp_for_plots = True


def add_security_headers(response):
    """``after_request``: the headers above on every response; pages are never cached."""
    policy = PLOTS_CONTENT_SECURITY_POLICY if g.get("csp_for_plots") else CONTENT_SECURITY_POLICY
    response.headers.setdefault("Content-Security-Policy", policy)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request came over https."""

    def get_cookie_secure(self, app) -> bool:
        """Secure when configured, or when this request is https (behind ProxyFix too)."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure
