"""A toy service built on ``create_service_app``, to test the shared service kit."""

import peewee
from marshmallow import Schema
from marshmallow import fields
from sim2l_sessions.database import database_from_url
from sim2l_sessions.services import ServiceInfo

from sim2l_service_kit import APIError
from sim2l_service_kit import create_service_app
from sim2l_service_kit import json_response
from sim2l_service_kit import load_config
from sim2l_service_kit import require_privilege
from sim2l_service_kit.api import ServiceBlueprint
from sim2l_service_kit.schemas import ResponseSchema

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


views = ServiceBlueprint("toy", __name__)


class NoteSchema(Schema):
    key = fields.String(required=True)
    text = fields.String(required=True)


class NoteAnswer(ResponseSchema):
    key = fields.String(required=True)
    text = fields.String()


class KeyPath(Schema):
    key = fields.String(required=True)


@views.post("/notes")
@require_privilege("write_cache")
@views.arguments(NoteSchema)
@views.response(201, NoteAnswer)
@views.errors(409)
def add_note(body):
    Note.create(key=body["key"], text=body["text"])
    return json_response({"key": body["key"]}, status=201)


@views.get("/notes/<path:key>")
@require_privilege("read_cache")
@views.arguments(KeyPath, location="path")
@views.response(200, NoteAnswer)
@views.errors(404)
def get_note(path, key):
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
        blueprints=(views,),
    )
    return app
