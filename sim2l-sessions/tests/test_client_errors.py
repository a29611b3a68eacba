"""The client exceptions explain themselves: status, message, the wrong fields, the call."""

from sim2l_sessions.client_errors import MAX_FIELD_MESSAGE_CHARS
from sim2l_sessions.client_errors import MAX_FIELD_MESSAGES
from sim2l_sessions.client_errors import InvalidRequestError
from sim2l_sessions.client_errors import NotFoundError
from sim2l_sessions.client_errors import field_messages


def test_a_validation_error_lists_each_wrong_field():
    error = InvalidRequestError(
        "the request is not valid",
        status=400,
        code="validation_error",
        details={"limit": ["must be at most 1000"], "filters": {"t": ["not a number"]}},
        method="POST",
        url="http://127.0.0.1:8003/results/search",
    )
    assert str(error) == (
        "400 the request is not valid; limit: must be at most 1000; filters.t: not a number "
        "(POST http://127.0.0.1:8003/results/search)"
    )


def test_other_errors_keep_their_own_message():
    error = NotFoundError("no simulation x", status=404, code="not_found", details={"name": "x"})
    assert str(error) == "404 no simulation x"


def test_a_servers_field_messages_are_bounded():
    details = {f"field{n}": ["x" * 10_000] for n in range(50)}
    lines = field_messages(details)
    assert len(lines) == MAX_FIELD_MESSAGES
    assert all(len(line) == MAX_FIELD_MESSAGE_CHARS for line in lines)
    nested = {"a": {"b": {"c": "deep"}}, "d": 5}
    assert field_messages(nested) == ["a.b.c: deep", "d: 5"]
