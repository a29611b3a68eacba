"""marshmallow schemas of the results service's requests (unknown fields are rejected)."""

from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import post_load
from marshmallow import validate
from marshmallow import validates_schema
from sim2l_sessions.execution_ids import EXECUTION_ID_PATTERN
from sim2l_sessions.execution_ids import EXECUTION_ID_RULE
from sim2l_sessions.execution_ids import is_valid_execution_id

from sim2l_results_service.filters import QueryError
from sim2l_results_service.filters import parse_filters
from sim2l_results_service.queries import TIME_SORTS
from sim2l_results_service.queries import check_sort

MAX_LIMIT = 1000
MAX_OFFSET = 10_000_000
MAX_COLUMNS = 2000  # chosen parameters per columnar request
NAME = validate.Length(min=1, max=200)
PARAM_CLASS = validate.OneOf(["input", "output"])


def EXECUTION_ID(value) -> None:  # noqa: N802 (a validator, named like the others here)
    """Refuse an execution id that is not a plain name (the one rule of sim2l-sessions)."""
    if not is_valid_execution_id(value):
        raise ValidationError(EXECUTION_ID_RULE)


def _domain_checked(check):
    """A marshmallow validator from a check of the query layer that raises ``QueryError``."""

    def validator(value) -> None:
        try:
            check(value)
        except QueryError as error:
            raise ValidationError(error.message) from None

    return validator


# The execution-id rule, for the OpenAPI document.
EXECUTION_ID_DOCUMENT = {"pattern": "^" + EXECUTION_ID_PATTERN.pattern + "$", "maxLength": 128}
# What queries.check_sort accepts, for the OpenAPI document.
SORT_PATTERN = "^-?(?:" + "|".join(TIME_SORTS) + r"|(?:input|output)\..+)$"


def sort_field() -> fields.String:
    """``created_at``, ``-duration_seconds``, ``output.max_stress``, ..."""
    return fields.String(
        validate=[validate.Length(min=1, max=210), _domain_checked(check_sort)],
        load_default=None,
        metadata={"json_schema": {"pattern": SORT_PATTERN}},
    )


class FilterMap(fields.Dict):
    """``{parameter name: value or {operator: operand}}``; operators are checked on load."""

    def __init__(self, **kwargs):
        super().__init__(
            keys=fields.String(validate=NAME), values=fields.Raw(allow_none=True), **kwargs
        )


class _Criteria(Schema):
    simulation_name = fields.String(validate=NAME, load_default=None)
    simulation_version = fields.String(validate=validate.Length(max=100), load_default=None)
    status = fields.String(validate=validate.Length(min=1, max=50), load_default=None)
    input_filters = FilterMap(load_default=None)
    output_filters = FilterMap(load_default=None)

    @validates_schema
    def filters_need_a_simulation(self, data, **kwargs):
        """Filters use the per-simulation value indexes, so they need the simulation's name."""
        if (data.get("input_filters") or data.get("output_filters")) and not data.get(
            "simulation_name"
        ):
            raise ValidationError("parameter filters need a simulation_name", "simulation_name")

    @post_load
    def parse_filters(self, data, **kwargs):
        """Parse and check the filters once; the query layer uses them as they are."""
        try:
            data["filters"] = parse_filters(data.get("input_filters"), data.get("output_filters"))
        except QueryError as error:
            raise ValidationError(error.message, error.field) from None
        return data


class ParamNames(fields.List):
    """Names of the parameters a page shows (all, within the size budget, when absent)."""

    def __init__(self, **kwargs):
        super().__init__(
            fields.String(validate=NAME), validate=validate.Length(min=1, max=1000), **kwargs
        )


class CommaSeparatedNames(fields.String):
    """``params=a,b`` in a query string: the same names as ``ParamNames``."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        names = [name.strip() for name in text.split(",") if name.strip()]
        if not names or len(names) > 1000 or any(len(name) > 200 for name in names):
            raise ValidationError("give 1 to 1000 parameter names of 1 to 200 characters")
        return names


class SearchSchema(_Criteria):
    """``POST /results/search``."""

    params = ParamNames(load_default=None)

    sort = sort_field()
    limit = fields.Integer(validate=validate.Range(min=1, max=MAX_LIMIT), load_default=100)
    offset = fields.Integer(validate=validate.Range(min=0, max=MAX_OFFSET), load_default=0)


class ColumnsSchema(_Criteria):
    """``POST /results/columns``: parameters by name (``x``, ``inputs.x``, ``outputs.x``)."""

    simulation_name = fields.String(validate=NAME, required=True)
    columns = fields.List(
        fields.String(validate=validate.Length(min=1, max=210)),
        validate=validate.Length(max=MAX_COLUMNS),
        load_default=None,
    )


class ListQuerySchema(Schema):
    """``GET /results`` query parameters."""

    params = CommaSeparatedNames(load_default=None)

    simulation_name = fields.String(validate=NAME, load_default=None)
    simulation_version = fields.String(validate=validate.Length(max=100), load_default=None)
    status = fields.String(validate=validate.Length(min=1, max=50), load_default=None)
    sort = sort_field()
    limit = fields.Integer(validate=validate.Range(min=1, max=MAX_LIMIT), load_default=100)
    offset = fields.Integer(validate=validate.Range(min=0, max=MAX_OFFSET), load_default=0)


class StatsSchema(_Criteria):
    """``POST /parameters/stats``."""

    simulation_name = fields.String(validate=NAME, required=True)
    param_name = fields.String(validate=NAME, required=True)
    param_class = fields.String(validate=PARAM_CLASS, load_default="output")


class DistinctQuerySchema(Schema):
    """``GET /parameters/distinct`` query parameters."""

    simulation_name = fields.String(validate=NAME, required=True)
    param_name = fields.String(validate=NAME, required=True)
    param_class = fields.String(validate=PARAM_CLASS, load_default="input")
    limit = fields.Integer(validate=validate.Range(min=1, max=MAX_LIMIT), load_default=100)
    offset = fields.Integer(validate=validate.Range(min=0, max=MAX_OFFSET), load_default=0)


class SchemasQuerySchema(Schema):
    """``GET /parameters/schemas`` query parameters."""

    simulation_name = fields.String(validate=NAME, required=True)
    simulation_version = fields.String(validate=validate.Length(max=100), load_default=None)


class RegisterQuerySchema(Schema):
    """``POST /results`` query parameters (or multipart form fields)."""

    execution_id = fields.String(
        validate=EXECUTION_ID,
        load_default=None,
        metadata={"json_schema": EXECUTION_ID_DOCUMENT},
    )
    replace = fields.Boolean(load_default=False)


class DownloadQuerySchema(Schema):
    """``GET /results/{execution_id}/file`` has no parameters."""
