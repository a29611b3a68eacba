"""The benchmark kit: the wrk report parser every throughput figure goes through, and
the gunicorn server every benchmark starts."""

import os
import sys
import time

import pytest
from sim2l_service_kit.testing.benchmarking import GunicornServer
from sim2l_service_kit.testing.benchmarking import parse_wrk_output

TOY = "sim2l_service_kit.testing.toy_service:create_app()"

# A real report whose thread-stats "+/- Stdev" column ends in 99% and 50%:
# an unanchored search for "99%" used to read "Req/Sec" as the p99 latency.
REPORT = """\
Running 1s test @ http://127.0.0.1:18999/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.84ms    1.57ms  11.27ms   76.99%
    Req/Sec     1.22k    55.76     1.36k    81.50%
  Latency Distribution
     50%  740.00us
     75%    5.79ms
     90%    6.97ms
     99%    1.20s
  1333 requests in 1.10s, 1.64MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:   1212.46
Transfer/sec:      1.49MB
"""


def test_reads_the_distribution_table_not_the_stdev_column():
    result = parse_wrk_output(REPORT)
    assert result["p50_ms"] == pytest.approx(0.74)
    assert result["p99_ms"] == pytest.approx(1200.0)


def test_reads_throughput_and_errors():
    result = parse_wrk_output(REPORT)
    assert result["requests_per_second"] == pytest.approx(1212.46)
    assert result["non_2xx"] == 7
    assert result["socket_errors"] == 5


def test_a_clean_report_has_no_errors():
    clean = REPORT.replace("  Socket errors: connect 0, read 2, write 0, timeout 3\n", "")
    clean = clean.replace("  Non-2xx or 3xx responses: 7\n", "")
    result = parse_wrk_output(clean)
    assert (result["non_2xx"], result["socket_errors"]) == (0, 0)


class _ClosedPipe:
    """A stdout whose reader went away: every write raises, as ``bench | head`` leaves it."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        raise BrokenPipeError(32, "Broken pipe")


def test_a_server_left_on_a_broken_stdout_is_stopped(tmp_path, monkeypatch):
    env = {
        "SIM2L_HOME": str(tmp_path),
        "SIM2L_SECRET_KEY": "test-secret-" + "k" * 32,
        "SIM2L_TOY_AUTO_MIGRATE": "true",
    }
    server = GunicornServer(TOY, env=env, workers=1)
    try:
        with pytest.raises(BrokenPipeError), server:
            master = server.process.pid
            monkeypatch.setattr(sys, "stdout", _ClosedPipe())
            print("a figure")  # the benchmark's own report line fails first
        monkeypatch.undo()
        assert server.process.poll() is not None, "gunicorn still runs after the block"
        assert _group_ends(master), "a worker of its process group still runs"
    finally:
        server.stop()  # (a no-op when the block stopped it, as it must)


def _group_ends(group: int, seconds: float = 10.0) -> bool:
    """True once no process of ``group`` is left (a worker may take a moment to exit)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False
