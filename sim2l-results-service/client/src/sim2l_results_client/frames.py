"""The columnar answer as a pandas DataFrame (pandas is the optional extra ``pandas``)."""

PANDAS_EXTRA = "sim2l-results-client[pandas]"
NUMERIC_TYPES = {"number", "integer", "float", "int", "real", "double"}
INTEGER_TYPES = {"integer", "int"}
BOOLEAN_TYPES = {"boolean", "bool"}
STRING_TYPES = {"string", "str"}


def require_pandas():
    """``(pandas, numpy)``, or an ImportError saying which extra to install."""
    try:
        import numpy
        import pandas
    except ImportError as error:
        raise ImportError(f"to_dataframe needs pandas: pip install '{PANDAS_EXTRA}'") from error
    return pandas, numpy


def _column(pandas, numpy, values: list, declared_type):
    """A Series with the dtype the values call for: numbers numeric, NaN where missing."""
    kinds = set(map(type, values))
    present = kinds - {type(None)}
    missing = type(None) in kinds
    if not present:
        return _without_values(pandas, values, declared_type, missing)
    if present <= {int, float}:
        if present == {int} and not missing:
            return pandas.Series(numpy.array(values, dtype=numpy.int64))
        return pandas.Series(numpy.array(values, dtype=numpy.float64))  # None -> NaN
    if present == {bool}:
        return pandas.Series(values, dtype="boolean" if missing else bool)
    if present == {str}:
        return pandas.Series(values)  # pandas' own string dtype
    return pandas.Series(values, dtype=object)


def _without_values(pandas, values: list, declared_type, missing: bool):
    """A column with no value to go by (no run matched, or none holds the parameter).

    Its dtype is the one its declared type gets with values (an integer
    column with a value missing is float64, as above), so that an empty
    frame has the dtypes of a full one and the two concatenate alike.
    """
    if declared_type in NUMERIC_TYPES:
        dtype = "int64" if declared_type in INTEGER_TYPES and not missing else "float64"
    elif declared_type in BOOLEAN_TYPES:
        dtype = "boolean" if missing else bool
    elif declared_type in STRING_TYPES:
        dtype = "str"
    else:
        dtype = object
    return pandas.Series(values, dtype=dtype)


def columns_to_dataframe(answer: dict):
    """The DataFrame of ``ResultsClient.columns()``'s answer, units in ``df.attrs["units"]``."""
    pandas, numpy = require_pandas()
    columns = answer["columns"]
    data = {}
    for name, values in columns.items():
        if name == "created_at":
            # Microseconds always: pandas infers seconds from no value at all.
            data[name] = pandas.to_datetime(
                pandas.Series(values, dtype=object), utc=True, format="ISO8601"
            ).dt.as_unit("us")
        elif name in ("execution_id", "status"):
            data[name] = pandas.Series(values, dtype="str")
        else:
            data[name] = _column(pandas, numpy, values, answer["types"].get(name))
    frame = pandas.DataFrame(data, columns=list(columns))
    frame.attrs["units"] = dict(answer["units"])
    frame.attrs["types"] = dict(answer["types"])
    frame.attrs["simulation_name"] = answer["simulation_name"]
    return frame
