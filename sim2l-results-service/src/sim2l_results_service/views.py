"""The results blueprint: thin handlers that validate, call the query layer and answer."""

import logging

import peewee
from flask import Response
from flask import request
from flask import send_file
from flask import stream_with_context
from sim2l_service_kit import APIError
from sim2l_service_kit import actor
from sim2l_service_kit import current_session
from sim2l_service_kit import json_response
from sim2l_service_kit import raw_json_response
from sim2l_service_kit import require_privilege
from sim2l_service_kit import service_state
from sim2l_service_kit.api import ServiceBlueprint
from sim2l_sessions.execution_ids import is_valid_execution_id
from werkzeug.exceptions import RequestEntityTooLarge

from sim2l_results_service import queries
from sim2l_results_service import statistics
from sim2l_results_service.columnar import column_stream
from sim2l_results_service.columnar import first_and_rest
from sim2l_results_service.maintenance import keep_statistics_current
from sim2l_results_service.registration import RegistrationConflict
from sim2l_results_service.registration import delete_result
from sim2l_results_service.registration import register_run
from sim2l_results_service.registration import registered_with_content
from sim2l_results_service.registration import summary
from sim2l_results_service.runfile import Limits
from sim2l_results_service.runfile import RunFileError
from sim2l_results_service.runfile import read_run_file
from sim2l_results_service.schemas import COLUMN_LINE
from sim2l_results_service.schemas import RUN_FILE
from sim2l_results_service.schemas import ColumnsSchema
from sim2l_results_service.schemas import DeletedSchema
from sim2l_results_service.schemas import DistinctQuerySchema
from sim2l_results_service.schemas import DistinctValuesSchema
from sim2l_results_service.schemas import ExecutionIdPath
from sim2l_results_service.schemas import ListQuerySchema
from sim2l_results_service.schemas import ParameterSchemasSchema
from sim2l_results_service.schemas import ParameterStatsSchema
from sim2l_results_service.schemas import RegisteredSchema
from sim2l_results_service.schemas import RegisterQuerySchema
from sim2l_results_service.schemas import ResultPageSchema
from sim2l_results_service.schemas import ResultViewSchema
from sim2l_results_service.schemas import SchemasQuerySchema
from sim2l_results_service.schemas import SearchSchema
from sim2l_results_service.schemas import StatsSchema
from sim2l_results_service.schemas import UploadForm
from sim2l_results_service.storage import RunFileStore
from sim2l_results_service.storage import UploadTooLarge
from sim2l_results_service.storage import discard

views = ServiceBlueprint("results", __name__)
logger = logging.getLogger(__name__)

RAW_CONTENT_TYPES = ("application/vnd.sqlite3", "application/x-sqlite3", "application/octet-stream")
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and the small form fields around the file


def _config() -> dict:
    return service_state().config


def _store() -> RunFileStore:
    return service_state().store


def _limits() -> Limits:
    config = _config()
    return Limits(
        config["max_parameters"],
        config["max_artifacts"],
        config["max_value_json_bytes"],
        config["introspection_timeout_seconds"],
        config["max_embedded_value_bytes"],
    )


def _too_large(limit: int) -> APIError:
    return APIError(
        413,
        "payload_too_large",
        f"the run file exceeds the limit of {limit} bytes",
        {"max_upload_bytes": limit},
    )


def _receive_upload(limit: int):
    """The upload as ``(temporary path, sha256, size, form fields)``."""
    content_type = (request.mimetype or "").lower()
    if request.content_length is not None and request.content_length > limit + MULTIPART_OVERHEAD:
        raise _too_large(limit)
    request.max_content_length = limit + MULTIPART_OVERHEAD
    try:
        if content_type == "multipart/form-data":
            upload = request.files.get("run_db")
            if upload is None:
                raise APIError(
                    400,
                    "validation_error",
                    "the request is not valid",
                    {"run_db": ["send the run database file in the multipart field run_db"]},
                )
            unknown = set(request.files) - {"run_db"} | set(request.form) - {
                "execution_id",
                "replace",
            }
            if unknown:
                for _, part in request.files.items(multi=True):
                    part.close()  # spooled to a temporary file; do not leave it to the collector
                raise APIError(
                    400,
                    "validation_error",
                    "the request is not valid",
                    # A multipart part may carry no name at all (None).
                    {str(name): ["Unknown field."] for name in sorted(unknown, key=str)},
                )
            path, sha256, size = _store().receive(upload.stream, limit)
            return path, sha256, size, request.form.to_dict()
        if content_type in RAW_CONTENT_TYPES:
            path, sha256, size = _store().receive(request.stream, limit)
            return path, sha256, size, {}
    except (UploadTooLarge, RequestEntityTooLarge):
        raise _too_large(limit) from None
    raise APIError(
        415,
        "unsupported_media_type",
        "send the run database as multipart/form-data (field run_db) or as "
        "application/vnd.sqlite3 with ?execution_id=",
    )


@views.post("/results")
@require_privilege("register_result")
@views.arguments(RegisterQuerySchema, location="query")
@views.body({"multipart/form-data": UploadForm, RAW_CONTENT_TYPES[0]: RUN_FILE})
@views.response(201, RegisteredSchema, description="registered")
@views.alt_response(
    200, schema=RegisteredSchema, success=True, description="already registered with this content"
)
@views.errors(409, 415, 422)
def register(parameters):
    """Register a run by uploading its run database file."""
    config = _config()
    path, sha256, size, form = _receive_upload(config["max_upload_bytes"])
    try:
        if form:
            from_form = RegisterQuerySchema().load(form)
            parameters["execution_id"] = parameters["execution_id"] or from_form["execution_id"]
            parameters["replace"] = parameters["replace"] or from_form["replace"]
        if size == 0:
            raise APIError(400, "empty_upload", "the uploaded run file is empty")
        session = current_session()
        if parameters["replace"] and "delete_results" not in session.privileges:
            raise APIError(
                403,
                "forbidden",
                "replacing a registered result needs the 'delete_results' privilege",
                {"required_privilege": "delete_results"},
            )
        # These very bytes registered before: the answer needs no introspection.
        known = registered_with_content(sha256, parameters["execution_id"])
        if known is not None:
            return json_response(summary(known, False), status=200)
        limits = _limits()
        try:
            record = read_run_file(path, limits)
        except RunFileError as error:
            raise APIError(error.status, error.code, error.message, error.details) from None
        execution_id = parameters["execution_id"] or record.metadata["execution_id"]
        if not is_valid_execution_id(record.metadata["execution_id"]):
            raise APIError(
                422, "invalid_run_file", "the run file's execution id is not a plain name"
            )
        if execution_id != record.metadata["execution_id"]:
            raise APIError(
                422,
                "execution_id_mismatch",
                f"the run file belongs to execution {record.metadata['execution_id']!r}, "
                f"not {execution_id!r}",
            )
        try:
            result, created = register_run(
                record,
                path,
                sha256,
                size,
                execution_id,
                _store(),
                registered_by=actor(session),
                replace=parameters["replace"],
            )
        except RegistrationConflict as conflict:
            raise APIError(
                409,
                "conflict",
                str(conflict),
                {
                    "execution_id": execution_id,
                    "stored_sha256": conflict.existing.sha256,
                    "uploaded_sha256": sha256,
                },
            ) from None
    finally:
        discard(path)
    if created:
        _keep_statistics_current()
    return json_response(summary(result, created), status=201 if created else 200)


def _page(query: dict) -> bytes:
    """One list or search page, each item's parameters bounded (see the README)."""
    return queries.search(
        query,
        query["order"],
        query["limit"],
        query["after"],
        query["params"],
        _config()["max_page_params_bytes"],
    )


def _keep_statistics_current() -> None:
    # The run is stored; failing to refresh statistics must not fail its registration.
    try:
        keep_statistics_current()
    except peewee.DatabaseError:
        logger.warning("could not refresh the planner statistics", exc_info=True)


@views.get("/results")
@require_privilege("read_results")
@views.arguments(ListQuerySchema, location="query")
@views.response(200, ResultPageSchema)
def list_results(query):
    """Results of a simulation (version, status), sorted and paginated; no parameter filters."""
    body = _page(query)
    return raw_json_response(body)


@views.post("/results/search")
@require_privilege("read_results")
@views.arguments(SearchSchema)
@views.response(200, ResultPageSchema)
def search(query):
    """Results matching simulation, version, status and input/output filters."""
    body = _page(query)
    return raw_json_response(body)


@views.post("/results/columns")
@require_privilege("read_results")
@views.arguments(ColumnsSchema)
@views.response(200, COLUMN_LINE, content_type="application/x-ndjson")
@views.errors(422)
def columns(query):
    """Chosen parameters of every matching run as columns, streamed as NDJSON."""
    # The request context (and its database connection) lasts until the
    # stream ends; the first line is made now so a bad request is a 4xx.
    lines = first_and_rest(stream_with_context(column_stream(query)))
    return Response(lines, mimetype="application/x-ndjson")


@views.get("/results/<execution:execution_id>")
@require_privilege("read_results")
@views.arguments(ExecutionIdPath, location="path")
@views.response(200, ResultViewSchema)
@views.errors(404)
def get_result(path, execution_id):
    """The results view of one run."""
    body = queries.result_view(execution_id, _store().path_of(execution_id), _limits())
    if body is None:
        raise APIError(404, "not_found", f"no result for execution {execution_id!r}")
    return raw_json_response(body)


@views.get("/results/<execution:execution_id>/file")
@require_privilege("read_results")
@views.arguments(ExecutionIdPath, location="path")
@views.response(200, RUN_FILE, content_type=RAW_CONTENT_TYPES[0])
@views.errors(404)
def download(path, execution_id):
    """The stored run database file (ETag: its sha256; If-None-Match answers 304)."""
    info = queries.result_file_info(execution_id)
    if info is None:
        raise APIError(404, "not_found", f"no result for execution {execution_id!r}")
    path = _store().path_of(execution_id)
    if not path.is_file():
        raise APIError(
            404, "file_missing", f"the run file of execution {execution_id!r} is missing"
        )
    response = send_file(
        path,
        mimetype="application/vnd.sqlite3",
        as_attachment=True,
        download_name=f"{execution_id}.db",
        etag=info[0],
        conditional=True,
    )
    response.headers["X-Content-SHA256"] = info[0]
    return response


@views.delete("/results/<execution:execution_id>")
@require_privilege("delete_results")
@views.arguments(ExecutionIdPath, location="path")
@views.response(200, DeletedSchema)
@views.errors(404)
def delete(path, execution_id):
    """Delete a result, its values and its stored file."""
    if not delete_result(execution_id, _store()):
        raise APIError(404, "not_found", f"no result for execution {execution_id!r}")
    return json_response({"deleted": True, "execution_id": execution_id})


@views.post("/parameters/stats")
@require_privilege("read_results")
@views.arguments(StatsSchema)
@views.response(200, ParameterStatsSchema)
def parameter_stats(query):
    """count, min, max, mean and standard deviation of a numeric parameter over matching runs."""
    return json_response(
        statistics.parameter_stats(query, query["param_name"], query["param_class"])
    )


@views.get("/parameters/distinct")
@require_privilege("read_results")
@views.arguments(DistinctQuerySchema, location="query")
@views.response(200, DistinctValuesSchema)
def distinct_values(query):
    """The distinct values of a string parameter, in byte order, with how many runs hold each."""
    return json_response(
        queries.distinct_values(
            query["simulation_name"],
            query["param_name"],
            query["param_class"],
            query["limit"],
            query["after"],
        )
    )


@views.get("/parameters/schemas")
@require_privilege("read_results")
@views.arguments(SchemasQuerySchema, location="query")
@views.response(200, ParameterSchemasSchema)
def parameter_schemas(query):
    """The parameter schemas of a simulation as seen across its runs, a page at a time."""
    return raw_json_response(
        queries.parameter_schemas(
            query["simulation_name"], query["simulation_version"], query["limit"], query["after"]
        )
    )
