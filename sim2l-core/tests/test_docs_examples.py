"""Every Python example of the documentation site (``docs/*.rst``) runs against live services.

Each page's ``.. code-block:: python`` blocks run one after the other in one
namespace, as a reader following the page would, against the three services
started as the seed starts them (``seed_services``, on SQLite and PostgreSQL).
A page that drifts from the code fails here.
"""

import re
from pathlib import Path

import pytest
from test_seed_examples import as_run_here
from test_seed_examples import seed_services  # noqa: F401 - the services fixture

pytest_plugins = ["runner_fixtures"]

DOCS = Path(__file__).resolve().parents[2] / "docs"
CODE_BLOCK = re.compile(r"^\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", re.MULTILINE)
# Files a page's examples write outside the test's folders (the seed's own paths).
WRITTEN_OUTSIDE = [Path("/tmp/output.dat"), Path("/tmp/exports/output.dat")]
# What a reader sees when a page's examples did what the page says.
EXPECTED_OUTPUT = {
    "quickstart.rst": ["second run from the cache: True", "run(s) at 300 K or more"],
    "database-services.rst": [
        "Status: completed",
        "Duration: 42.5s",
        "Cache hit! Run DB: /path/to/run.db",
        "Registered as result ID:",
        "output.dat: 6 bytes",
        "Role: developer",
    ],
    "troubleshooting.rst": ["is the catalog service, not the cache service", "no run file at"],
}


def python_blocks(page: Path) -> list[str]:
    """The page's Python code blocks, dedented, in page order."""
    blocks = []
    for body in CODE_BLOCK.findall(page.read_text()):
        blocks.append("\n".join(line[3:] for line in body.splitlines()).strip() + "\n")
    return blocks


def pages_with_python() -> list[Path]:
    return [page for page in sorted(DOCS.glob("*.rst")) if python_blocks(page)]


def test_the_collector_finds_the_pages_examples():
    names = {page.name for page in pages_with_python()}
    assert {"quickstart.rst", "database-services.rst", "troubleshooting.rst"} <= names
    assert len(python_blocks(DOCS / "database-services.rst")) >= 12


@pytest.mark.parametrize("page", pages_with_python(), ids=lambda page: page.name)
def test_every_python_block_of_the_page_runs(page, seed_services, capsys):  # noqa: F811
    existed = {path: path.exists() for path in WRITTEN_OUTSIDE}
    namespace: dict = {}
    try:
        for number, block in enumerate(python_blocks(page), start=1):
            code = compile(as_run_here(block, seed_services), f"{page.name} block {number}", "exec")
            exec(code, namespace)  # noqa: S102 - the documentation's own examples
    finally:
        for path, was_there in existed.items():
            if not was_there:
                path.unlink(missing_ok=True)
        for name in ("fm", "run_db"):
            if hasattr(namespace.get(name), "close"):
                namespace[name].close()
    printed = capsys.readouterr().out
    for expected in EXPECTED_OUTPUT.get(page.name, []):
        assert expected in printed
