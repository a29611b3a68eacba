"""The one timestamp format: RFC 3339, UTC, microseconds, ``Z``."""

import pytest
from sim2l_sessions.timestamps import format_timestamp
from sim2l_sessions.timestamps import parse_timestamp


def test_format_is_rfc3339_utc_with_microseconds_and_z():
    assert format_timestamp(1796097600.123456) == "2026-12-01T04:00:00.123456Z"
    assert format_timestamp(0) == "1970-01-01T00:00:00.000000Z"
    assert format_timestamp(None) is None


def test_parse_reads_what_format_writes_and_other_offsets():
    assert parse_timestamp("2026-12-01T04:00:00.123456Z") == pytest.approx(1796097600.123456)
    assert parse_timestamp("2026-12-01T05:00:00+01:00") == 1796097600.0
    assert parse_timestamp(12.5) == 12.5
    assert parse_timestamp(None) is None
    with pytest.raises(ValueError, match="time zone"):
        parse_timestamp("2026-12-01T04:00:00")
