"""A toy service built on ``create_service_app``, to test the shared service kit."""

import peewee
from flask import Blueprint
from flask import request
from sim2l_sessions.database import database_from_url
from sim2l_sessions.services import ServiceInfo

from sim2l_service_kit import APIError
from sim2l_service_kit import create_service_app
from sim2l_service_kit import json_response
from sim2l_service_kit import load_config
from sim2l_service_kit import request_json
from sim2l_service_kit import require_privilege
from sim2l_service_kit.openapi import document

# Not in the services table: the toy serves only the kit's own tests.
TOY = ServiceInfo(
    "toy",
    0,
    "sim2l-toy-service",
    "sim2l_service_kit.testing.toy_service",
    factory="sim2l_service_kit.testing.toy_service:create_app",
)
database_proxy = peewee.DatabaseProxy()


class Note(peewee.Model):
    key = peewee.CharField(unique=True, max_length=200)
    text = peewee.TextField()

    class Meta:
        database = database_proxy
        table_name = "toy_note"


views = Blueprint("toy", __name__)


@views.post("/notes")
@require_privilege("write_cache")
def add_note():
    body = request_json(request)
    if not isinstance(body.get("key"), str) or not isinstance(body.get("text"), str):
        raise APIError(400, "validation_error", "key and text must be strings")
    Note.create(key=body["key"], text=body["text"])
    return json_response({"key": body["key"]}, status=201)


@views.get("/notes/<path:key>")
@require_privilege("read_cache")
def get_note(key):
    note = Note.get_or_none(Note.key == key)
    if note is None:
        raise APIError(404, "not_found", "no such note")
    return json_response({"key": note.key, "text": note.text})


def create_app(config=None):
    settings = load_config("toy", {}, config)
    database = database_from_url(settings["database_url"])
    database_proxy.initialize(database)
    app = create_service_app(
        import_name=__name__,
        info=TOY,
        config=settings,
        database=database,
        openapi=document("toy", "1", {}),
    )
    app.register_blueprint(views)
    return app
