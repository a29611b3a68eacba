"""marshmallow schemas of the results service's requests (unknown fields refused) and answers."""

from flask_smorest.fields import Upload
from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import post_load
from marshmallow import validate
from marshmallow import validates_schema
from sim2l_service_kit.fields import AnyOf
from sim2l_service_kit.fields import StrictNumber
from sim2l_service_kit.pagination import CursorField
from sim2l_service_kit.pagination import limit_field
from sim2l_service_kit.pagination import page_schema
from sim2l_service_kit.pagination import typed_cursor_key
from sim2l_service_kit.schemas import ResponseSchema
from sim2l_service_kit.text import WHITESPACE
from sim2l_sessions.execution_ids import EXECUTION_ID_PATTERN
from sim2l_sessions.execution_ids import EXECUTION_ID_RULE
from sim2l_sessions.execution_ids import is_valid_execution_id

from sim2l_results_service.filters import MAX_IN_VALUES
from sim2l_results_service.filters import OPERATORS
from sim2l_results_service.filters import QueryError
from sim2l_results_service.filters import parse_filters
from sim2l_results_service.orders import TIME_SORTS
from sim2l_results_service.orders import check_sort
from sim2l_results_service.orders import sort_order
from sim2l_results_service.queries import DISTINCT_ORDER
from sim2l_results_service.queries import SCHEMAS_ORDER

MAX_LIMIT = 1000
MAX_SCHEMAS_PAGE = 10000  # schema rows per page (small rows; the unpaged answer's old cap)
MAX_COLUMNS = 2000  # chosen parameters per columnar request
NAME = validate.Length(min=1, max=200)
PARAM_CLASS = validate.OneOf(["input", "output"])


class ExecutionIdRule(validate.Regexp):
    """The execution-id rule of sim2l-sessions; its expression documents it."""

    def __init__(self):
        # ECMA-262 and Python alike: a plain name without "..".
        super().__init__(
            "^(?!.*[.][.])" + EXECUTION_ID_PATTERN.pattern + "$", error=EXECUTION_ID_RULE
        )

    def __call__(self, value) -> str:
        if not is_valid_execution_id(value):
            raise ValidationError(EXECUTION_ID_RULE)
        return value


def _domain_checked(check):
    """A marshmallow validator from a check of the query layer that raises ``QueryError``."""

    def validator(value) -> None:
        try:
            check(value)
        except QueryError as error:
            raise ValidationError(error.message) from None

    return validator


class SortRule(validate.Regexp):
    """What ``queries.check_sort`` accepts; its expression documents it."""

    def __init__(self):
        super().__init__("^-?(?:" + "|".join(TIME_SORTS) + r"|(?:input|output)\..+)$")
        self.check = _domain_checked(check_sort)

    def __call__(self, value) -> str:
        self.check(value)
        return value


def sort_field() -> fields.String:
    """``created_at``, ``-duration_seconds``, ``output.max_stress``, ..."""
    return fields.String(validate=[validate.Length(min=1, max=210), SortRule()], load_default=None)


def _ordered() -> AnyOf:
    return AnyOf(StrictNumber(), fields.String())


def _scalar() -> AnyOf:
    return AnyOf(StrictNumber(), fields.String(), fields.Boolean(), allow_none=True)


def _pair(field) -> fields.List:
    return fields.List(field, validate=validate.Length(equal=2))


class Operators(Schema):
    """``{operator: operand}`` of a filter (documents what ``filters.parse_filter`` accepts)."""

    class Meta:
        min_properties = 1

    eq = _scalar()
    ne = _scalar()
    gt = _ordered()
    ge = _ordered()
    lt = _ordered()
    le = _ordered()
    in_ = fields.List(_ordered(), data_key="in", validate=validate.Length(min=1, max=MAX_IN_VALUES))
    between = AnyOf(_pair(StrictNumber()), _pair(fields.String()))


FILTER_OPERAND = AnyOf(_scalar(), fields.Nested(Operators))


class FilterMap(fields.Dict):
    """``{parameter name: value or {operator: operand}}``; operators are checked on load."""

    def __init__(self, **kwargs):
        super().__init__(
            keys=fields.String(validate=NAME),
            values=fields.Raw(allow_none=True, metadata={"documented_by": FILTER_OPERAND}),
            metadata={"description": "operators: " + ", ".join(OPERATORS)},
            **kwargs,
        )


class _Criteria(Schema):
    class Meta:
        needs = {"input_filters": "simulation_name", "output_filters": "simulation_name"}

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

    def __init__(self, **kwargs):
        # Documented narrower than accepted: up to 200 characters, a name at least.
        super().__init__(
            metadata={
                "description": "1 to 1000 comma-separated parameter names",
                "maxLength": 200,
                "pattern": f"^[\\s\\S]*[^,{WHITESPACE}][\\s\\S]*$",
            },
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        names = [name.strip() for name in text.split(",") if name.strip()]
        if not names or len(names) > 1000 or any(len(name) > 200 for name in names):
            raise ValidationError("give 1 to 1000 parameter names of 1 to 200 characters")
        return names


class _RunPages(Schema):
    """``sort``, ``limit`` and ``cursor`` of a list of runs (the kit's pagination)."""

    sort = sort_field()
    limit = limit_field(MAX_LIMIT)
    cursor = CursorField()

    @post_load
    def resume_after(self, data, **kwargs):
        """The sort's ``order`` and the key to resume after: a cursor of another sort is a 400."""
        data["order"] = sort_order(data.get("sort"))
        data["after"] = typed_cursor_key(data["cursor"], data["order"].name, data["order"].kinds)
        return data


class SearchSchema(_Criteria, _RunPages):
    """``POST /results/search``."""

    params = ParamNames(load_default=None)


class ColumnsSchema(_Criteria):
    """``POST /results/columns``: parameters by name (``x``, ``inputs.x``, ``outputs.x``)."""

    simulation_name = fields.String(validate=NAME, required=True)
    columns = fields.List(
        fields.String(validate=validate.Length(min=1, max=210)),
        validate=validate.Length(max=MAX_COLUMNS),
        load_default=None,
    )


class ListQuerySchema(_RunPages):
    """``GET /results`` query parameters."""

    params = CommaSeparatedNames(load_default=None)

    simulation_name = fields.String(validate=NAME, load_default=None)
    simulation_version = fields.String(validate=validate.Length(max=100), load_default=None)
    status = fields.String(validate=validate.Length(min=1, max=50), load_default=None)


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
    limit = limit_field(MAX_LIMIT)
    cursor = CursorField()

    @post_load
    def resume_after(self, data, **kwargs):
        """The value to resume after; a cursor of another list is a 400."""
        data["after"] = typed_cursor_key(data["cursor"], DISTINCT_ORDER, (str,))
        return data


class SchemasQuerySchema(Schema):
    """``GET /parameters/schemas`` query parameters."""

    simulation_name = fields.String(validate=NAME, required=True)
    simulation_version = fields.String(validate=validate.Length(max=100), load_default=None)
    limit = limit_field(MAX_SCHEMAS_PAGE, default=MAX_SCHEMAS_PAGE)
    cursor = CursorField()

    @post_load
    def resume_after(self, data, **kwargs):
        """The schema to resume after; a cursor of another list is a 400."""
        data["after"] = typed_cursor_key(data["cursor"], SCHEMAS_ORDER, (str, str, str, str))
        return data


class RegisterQuerySchema(Schema):
    """``POST /results`` query parameters (or multipart form fields)."""

    execution_id = fields.String(validate=ExecutionIdRule(), load_default=None)
    replace = fields.Boolean(load_default=False)


class UploadForm(RegisterQuerySchema):
    """``POST /results`` as multipart/form-data: the run file in ``run_db``."""

    run_db = Upload(required=True, validate=validate.Length(min=1))


RUN_FILE = Upload(validate=validate.Length(min=1))


class ExecutionIdPath(Schema):
    """``/results/{execution_id}``."""

    execution_id = fields.String(required=True, validate=ExecutionIdRule())


# Answers


class ResultItemSchema(ResponseSchema):
    """One run in a page: its metadata and (bounded) parameters."""

    result_id = fields.Integer()
    execution_id = fields.String()
    simulation_name = fields.String()
    simulation_version = fields.String()
    status = fields.String()
    username = fields.String(allow_none=True)
    created_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    duration_seconds = fields.Float(allow_none=True)
    registered_at = fields.DateTime()
    input_params = fields.Dict(metadata={"description": "parameter name -> value"})
    output_params = fields.Dict(metadata={"description": "parameter name -> value"})


ResultPageSchema = page_schema(ResultItemSchema, "ResultPage")


class ResultViewSchema(ResultItemSchema):
    """The results view of one run."""

    units = fields.Dict()
    artifacts = fields.List(fields.Dict())
    sha256 = fields.String()
    file_size = fields.Integer()
    schema_version = fields.Integer()


class RegisteredSchema(ResponseSchema):
    """A registration: ``created`` false when these bytes were registered before."""

    result_id = fields.Integer(required=True)
    execution_id = fields.String(required=True)
    created = fields.Boolean(required=True)
    simulation_name = fields.String()
    simulation_version = fields.String()
    status = fields.String()
    sha256 = fields.String()
    file_size = fields.Integer()
    input_count = fields.Integer()
    output_count = fields.Integer()
    artifact_count = fields.Integer()
    registered_at = fields.DateTime()


class DeletedSchema(ResponseSchema):
    """A deleted result."""

    deleted = fields.Boolean(required=True)
    execution_id = fields.String(required=True)


class ParameterStatsSchema(ResponseSchema):
    """Statistics of a numeric parameter."""

    simulation_name = fields.String()
    param_name = fields.String()
    param_class = fields.String()
    count = fields.Integer()
    min_value = fields.Float(allow_none=True)
    max_value = fields.Float(allow_none=True)
    avg_value = fields.Float(allow_none=True)
    stddev_value = fields.Float(allow_none=True)
    variance = fields.Float(allow_none=True)


class DistinctValue(ResponseSchema):
    """A string value and how many runs hold it."""

    value = fields.String()
    count = fields.Integer()


DistinctValuesSchema = page_schema(DistinctValue, "DistinctValuePage")


class ParameterSchemasSchema(ResponseSchema):
    """A page of the parameter schemas of a simulation as seen across its runs.

    ``next_cursor`` (null on the last page) asks for the next.
    """

    simulation_name = fields.String(required=True)
    schemas = fields.List(fields.Dict(), required=True)
    limit = fields.Integer(required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class ColumnsHeader(ResponseSchema):
    """The first line of a columnar answer: the columns, their types and units."""

    simulation_name = fields.String(required=True)
    simulation_version = fields.String(allow_none=True)
    columns = fields.List(fields.String(), required=True)
    types = fields.Dict(required=True)
    units = fields.Dict(required=True)


class ColumnsChunk(ResponseSchema):
    """A chunk of rows, column by column."""

    rows = fields.Integer(required=True)
    columns = fields.Dict(keys=fields.String(), values=fields.List(fields.Raw()), required=True)


class ColumnsTrailer(ResponseSchema):
    """The last line: how many rows were sent."""

    count = fields.Integer(required=True)


COLUMN_LINE = AnyOf(
    fields.Nested(ColumnsHeader),
    fields.Nested(ColumnsChunk),
    fields.Nested(ColumnsTrailer),
    metadata={"description": "one line of the NDJSON answer: the header, chunks, the trailer"},
)
