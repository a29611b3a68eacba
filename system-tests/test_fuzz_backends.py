"""Schema fuzzing of every service on SQLite and on PostgreSQL, under gunicorn.

schemathesis (its command line, from each service's /openapi.json) sends
schema-valid and schema-invalid requests with an admin session: strings with
NUL and arbitrary unicode, a bounded number of examples per operation, the
examples, coverage (undocumented methods, boundaries) and fuzzing phases.
Required: no 5xx, responses as documented (status, content type, schema),
405/OPTIONS ``Allow`` headers naming exactly the documented methods, and no
schema-valid request refused (a validator the document does not state). A
request the document allows that names something no stored run holds is a
422, which schemathesis counts as accepted, not a 400. A list's ``cursor`` is
opaque and the document cannot tell which texts are cursors: ``fuzz_hooks.py``
sends the lists it knows a cursor they gave out, as a client does, and drops
the one refusal of a made-up cursor (a 400 naming ``cursor`` alone).

The operations that would end the fuzzing session itself (log out, log out
everywhere) are left out; the sessions tests cover them.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SERVICES
from services import KillableService
from services import migrate_service
from sim2l_service_kit.testing import reset_postgres_schema
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.store import SessionStore

EXAMPLES = 10
CONFIG = Path(__file__).parent / "schemathesis.toml"
# Cursors as a client sends them (the next_cursor a list gave out): see the module.
HOOKS = Path(__file__).parent / "fuzz_hooks.py"
SECRET = "fuzz-test-secret-" + "f" * 32
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
    "unsupported_method",
    "allow_header_conformance",
]
# The summary line of each failed check, e.g. "❌ ST202 Schema-valid request rejected: 7".
FAILURE_LINE = re.compile(r"ST\d+ (?P<name>[^:\n]+): (?P<count>\d+)")
GENERATED = re.compile(r"(?P<count>\d+) generated")
REJECTED_VALID = "Schema-valid request rejected"


def run_schemathesis(url: str, token: str, report_dir) -> tuple[int, dict[str, int], str]:
    """Fuzz the service at ``url``: (cases generated, {failure name: count}, output)."""
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        url + "/openapi.json",
        "--header",
        f"X-Session-ID: {token}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        "examples,coverage,fuzzing",
        "--mode",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--generation-allow-x00",
        "true",
        "--generation-codec",
        "utf-8",
        "--generation-database",
        "none",
        "--seed",
        "15",
        "--exclude-by",
        "/x-sim2l-ends-caller-session == true",
        "--request-timeout",
        "30",
        "--workers",
        "2",
        "--no-color",
        "--report-dir",
        str(report_dir),
    ]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=report_dir,
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)},
    )
    output = done.stdout + done.stderr
    generated = GENERATED.search(output)
    assert generated, output[-3000:]
    failures = {m["name"].strip(): int(m["count"]) for m in FAILURE_LINE.finditer(output)}
    return int(generated["count"]), failures, output


def refused_valid_requests(output: str) -> list[tuple[str, str]]:
    """``(operation, first answer)`` of each operation where a schema-valid request was refused."""
    found = []
    for section in re.split(r"\n_{5,} (?=[A-Z]+ /)", output)[1:]:
        operation = section.split(" _", 1)[0].strip()
        if REJECTED_VALID in section:
            answer = re.search(r"`(\{.*?\})`", section)
            found.append((operation, answer.group(1)[:300] if answer else "?"))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("service", sorted(SERVICES))
def test_fuzzing_finds_no_5xx_and_no_mismatch_with_the_document(
    service, backend, tmp_path, request
):
    if backend == "postgresql":
        url = request.getfixturevalue("postgres_database_url")
        reset_postgres_schema(url)
    else:
        url = f"sqlite:///{tmp_path / (service + '.db')}"
    migrate_service(service, url)
    token = SessionManager(store=SessionStore(url), secret_keys=SECRET).create_session(
        "fuzz-admin", "admin"
    )
    env = {
        "SIM2L_HOME": str(tmp_path / "home"),
        "SIM2L_SECRET_KEY": SECRET,
        "SIM2L_SESSIONS_DATABASE_URL": url,
        "SIM2L_BCRYPT_ROUNDS": "4",
        "SIM2L_RESULTS_STORAGE_DIR": str(tmp_path / "stored"),
    }
    with KillableService(service, url, workers=2, env=env) as server:
        generated, failures, output = run_schemathesis(server.url, token.session_id, tmp_path)
    print(f"schemathesis {service}/{backend}: {generated} cases, failures {failures}")
    for operation, answer in refused_valid_requests(output):
        print(f"  schema-valid request refused: {operation}: {answer}")
    assert generated > 100, output[-3000:]
    assert refused_valid_requests(output) == [], output[-20000:]
    assert failures == {}, output[-20000:]
