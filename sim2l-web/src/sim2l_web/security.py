"""Response headers and the cookie: a strict Content-Security-Policy and friends.

No inline script or style and no third-party origin: every script, style and
font comes from this app (``/static`` and ``/assets``), so the dashboard
works on a cluster with no internet access and an injected ``<script>`` or
``style=`` attribute does nothing.
"""

from flask import request
from flask.sessions import SecureCookieSessionInterface

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response):
    """``after_request``: the headers above on every response; pages are never cached."""
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
