"""The client distribution depends on sim2l-sessions and requests only."""

import importlib.metadata
import re


def test_declared_dependencies():
    requirements = importlib.metadata.requires("sim2l-catalog-client") or []
    names = {
        re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower()
        for requirement in requirements
        if "extra ==" not in requirement
    }
    assert names == {"sim2l-sessions", "requests"}


def test_client_module_imports_no_server_libraries():
    import ast
    import pathlib

    import sim2l_catalog_client

    package = pathlib.Path(sim2l_catalog_client.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = (
                    [alias.name for alias in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                for name in names:
                    root = name.split(".")[0]
                    assert root not in {"flask", "peewee", "psycopg2", "sim2l_catalog_service"}
