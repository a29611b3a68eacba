"""The documentation site builds with Sphinx, warnings as errors (what ``make docs`` runs).

Its API reference is generated from the docstrings, so an ``autoclass`` target
that stops resolving (the seed's ``sim2l.database.RunDatabase`` and friends)
fails here.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_site_builds_without_a_warning(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
        + [str(ROOT / "docs"), str(tmp_path / "html")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    api = (tmp_path / "html" / "api.html").read_text()
    for target in (
        "sim2l.database.RunDatabase",
        "sim2l.database.CacheClient",
        "sim2l.database.CatalogClient",
        "sim2l.database.ResultsClient",
        "sim2l.database.FileManager",
        "sim2l.database.SessionManager",
        "sim2l.database.get_session_manager",
    ):
        assert f'id="{target}"' in api, target
    assert "get_summary" in api and "to_dataframe" in api
