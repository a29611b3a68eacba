"""``/docs``: Swagger UI over the service's ``/openapi.json``, served from the service itself.

The page's scripts and styles come from the ``swagger-ui-py`` wheel (Swagger
UI 5, which reads OpenAPI 3.1), never from a CDN: the machines may be
offline, and a page that loads code from elsewhere runs whatever that host
sends. A strict Content-Security-Policy holds the page to its own origin: no
inline or evaluated script, no other host, no framing.
"""

import functools
import mimetypes
from pathlib import Path

import swagger_ui
from flask import Response
from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate

from sim2l_service_kit.auth import public

ASSETS_DIR = Path(swagger_ui.__file__).parent / "static"
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")
INITIALIZER = "swagger-initializer.js"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Relative URLs: the page works behind a proxy that serves the service under a prefix.
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/{initializer}"></script>
</body>
</html>
"""
INITIALIZER_SCRIPT = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({url: "openapi.json", dom_id: "#swagger-ui", deepLinking: true});
});
"""


class AssetPath(Schema):
    """``/docs/{asset}``: one of the page's files."""

    asset = fields.String(required=True, validate=validate.OneOf([*ASSETS, INITIALIZER]))


@functools.cache
def _asset(name: str) -> tuple[bytes, str]:
    # Read once per worker and held (about 1.6 MB): no file handle outlives a request.
    path = ASSETS_DIR / name
    return path.read_bytes(), mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _strict(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def add_docs_page(blueprint, title: str = "API") -> None:
    """Add ``GET /docs`` and ``GET /docs/{asset}`` to ``blueprint`` (a ``ServiceBlueprint``)."""
    page = PAGE.format(title=title, initializer=INITIALIZER)

    @blueprint.get("/docs")
    @public
    @blueprint.response(200, fields.String(), content_type="text/html")
    def docs_page():
        """Swagger UI: browse and try this service's API."""
        return _strict(Response(page, mimetype="text/html"))

    @blueprint.get("/docs/<asset>")
    @public
    @blueprint.arguments(AssetPath, location="path")
    @blueprint.response(200, fields.String(), content_type="text/javascript")
    @blueprint.alt_response(200, schema=fields.String(), content_type="text/css", success=True)
    @blueprint.alt_response(
        200,
        schema=fields.String(metadata={"format": "binary"}),
        content_type="image/png",
        success=True,
    )
    def docs_asset(path, asset):
        """A file of the Swagger UI page, from the swagger-ui-py wheel."""
        if asset == INITIALIZER:
            return _strict(Response(INITIALIZER_SCRIPT, mimetype="text/javascript"))
        body, mimetype = _asset(asset)
        response = Response(body, mimetype=mimetype)
        response.cache_control.max_age = 3600
        return _strict(response)
