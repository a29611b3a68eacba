"""The columnar answer as a pandas DataFrame (pandas is the optional extra ``pandas``)."""

PANDAS_EXTRA = "sim2l-results-client[pandas]"
NUMERIC_TYPES = {"number", "integer", "float", "int", "real", "double"}


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
    kinds = {type(value) for value in values}
    present = kinds - {type(None)}
    missing = type(None) in kinds
    if present <= {int, float} and (present or declared_type in NUMERIC_TYPES):
        if present == {int} and not missing:
            return pandas.Series(numpy.array(values, dtype=numpy.int64))
        return pandas.Series(numpy.array(values, dtype=numpy.float64))  # None -> NaN
    if present == {bool}:
        return pandas.Series(values, dtype="boolean" if missing else bool)
    if present == {str}:
        return pandas.Series(values)  # pandas' own string dtype
    return pandas.Series(values, dtype=object)


def columns_to_dataframe(answer: dict):
    """The DataFrame of ``ResultsClient.columns()``'s answer, units in ``df.attrs["units"]``."""
    pandas, numpy = require_pandas()
    columns = answer["columns"]
    data = {}
    for name, values in columns.items():
        if name == "created_at":
            data[name] = pandas.to_datetime(
                pandas.Series(values, dtype=object), utc=True, format="ISO8601"
            )
        elif name in ("execution_id", "status"):
            data[name] = pandas.Series(values)
        else:
            data[name] = _column(pandas, numpy, values, answer["types"].get(name))
    frame = pandas.DataFrame(data, columns=list(columns))
    frame.attrs["units"] = dict(answer["units"])
    frame.attrs["types"] = dict(answer["types"])
    frame.attrs["simulation_name"] = answer["simulation_name"]
    return frame
