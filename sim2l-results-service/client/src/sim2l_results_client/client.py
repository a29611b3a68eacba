"""``ResultsClient``: the results service over HTTP.

The seed's calls work as written::

    client = ResultsClient("http://localhost:8003", session_id=session.session_id)
    result = client.register_result("exec-2024-001")
    results = client.search(simulation_name="thermal_sim", input_filters={"temperature": 350})
    stats = client.get_parameter_stats("thermal_sim", "max_stress", param_class="output")

``register_result`` finds a run's file at ``{run_db_base_path}/{execution_id}.db``;
``run_db_base_path`` defaults to ``SIM2L_RUN_DB_BASE_PATH``, else
``<SIM2L_HOME>/runs`` (sim2l-core passes its configured folder).
"""

import os
import sqlite3
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import orjson
import requests
from sim2l_sessions.client_errors import NotFoundError
from sim2l_sessions.client_errors import ServerError
from sim2l_sessions.client_errors import ServiceError
from sim2l_sessions.execution_ids import EXECUTION_ID_RULE
from sim2l_sessions.execution_ids import is_valid_execution_id
from sim2l_sessions.paging import collect_pages
from sim2l_sessions.paging import follow_pages
from sim2l_sessions.paths import sim2l_home
from sim2l_sessions.service_client import DEFAULT_TIMEOUT
from sim2l_sessions.service_client import ServiceClient

UPLOAD_CONTENT_TYPE = "application/vnd.sqlite3"
MAX_PAGE = 1000  # the service's largest page (its limit)
MAX_SCHEMAS_PAGE = 10000  # its largest page of parameter schemas
UPLOAD_TIMEOUT = (3.05, 600)  # a large run file takes a while to send and introspect


def default_run_db_base_path() -> Path:
    """``SIM2L_RUN_DB_BASE_PATH``, else ``<SIM2L_HOME>/runs``."""
    configured = os.environ.get("SIM2L_RUN_DB_BASE_PATH")
    return Path(configured).expanduser() if configured else sim2l_home() / "runs"


def _quote(execution_id: str) -> str:
    if not is_valid_execution_id(execution_id):
        raise ValueError(f"invalid execution id {execution_id!r}: {EXECUTION_ID_RULE}")
    return urllib.parse.quote(execution_id, safe="")


class _Progress:
    """A one-line progress bar on stderr (no extra library)."""

    def __init__(self, total: int, enabled: bool, stream=None, width: int = 30):
        self.total = total
        self.enabled = enabled and total > 0
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.monotonic()
        self.last_drawn = 0.0

    def update(self, done: int, failed: int) -> None:
        """Redraw, at most ten times a second (and always at the end)."""
        if not self.enabled:
            return
        now = time.monotonic()
        if done < self.total and now - self.last_drawn < 0.1:
            return
        self.last_drawn = now
        filled = int(self.width * done / self.total)
        rate = done / max(now - self.started, 1e-9)
        failures = f", {failed} failed" if failed else ""
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total} runs "
            f"({rate:.1f} runs/s{failures})"
        )
        if done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


class ResultsClient(ServiceClient):
    """Client of the sim2l results service (default port 8003)."""

    service = "results"

    def __init__(
        self,
        base_url: str,
        session_id: str | None = None,
        run_db_base_path=None,
        timeout=DEFAULT_TIMEOUT,
        retries: int = 2,
    ):
        super().__init__(base_url, session_id=session_id, timeout=timeout, retries=retries)
        self.run_db_base_path = Path(run_db_base_path).expanduser() if run_db_base_path else None

    # ------------------------------------------------------------------ registration

    def run_file_path(self, execution_id: str) -> Path:
        """Where the local run file of ``execution_id`` is expected."""
        _quote(execution_id)
        base = self.run_db_base_path or default_run_db_base_path()
        return base / f"{execution_id}.db"

    def _resolve(self, execution_id_or_path) -> tuple[Path, str | None]:
        if isinstance(execution_id_or_path, os.PathLike):
            return Path(execution_id_or_path), None
        if not isinstance(execution_id_or_path, str) or not execution_id_or_path:
            raise TypeError("register_result takes an execution id or the path of a run file")
        if is_valid_execution_id(execution_id_or_path):
            path = self.run_file_path(execution_id_or_path)
            if path.is_file() or not Path(execution_id_or_path).is_file():
                return path, execution_id_or_path
        return Path(execution_id_or_path), None

    def register_result(self, execution_id_or_path, *, replace: bool = False) -> dict:
        """Upload a run's database file; the service introspects and indexes it.

        Takes an execution id (the file is ``{run_db_base_path}/{execution_id}.db``)
        or the path of a run file. Returns ``result_id``, ``execution_id``,
        ``created`` (False when this exact file was registered before) and the
        run's summary. ``replace=True`` replaces a registration with different
        content (needs the ``delete_results`` privilege); otherwise that is a
        ``ConflictError``.
        """
        path, execution_id = self._resolve(execution_id_or_path)
        if not path.is_file():
            raise FileNotFoundError(f"no run file at {path}")
        params = {}
        if execution_id:
            params["execution_id"] = execution_id
        if replace:
            params["replace"] = "true"
        with _consistent_copy(path) as upload:
            # Registering the same file again is idempotent: the base client
            # retries it, reopening the file for every attempt.
            return self._request(
                "POST",
                "/results",
                params=params,
                data=upload,
                headers={"Content-Type": UPLOAD_CONTENT_TYPE},
                idempotent=True,
            )

    def bulk_register(self, paths, progress: bool = True, replace: bool = False) -> dict:
        """Register many run files (execution ids or paths), with a progress bar on stderr.

        Returns ``{"registered": n, "unchanged": n, "failed": [{"run", "error"}],
        "results": [...]}``;
        one failing file does not stop the others.
        """
        runs = list(paths)
        bar = _Progress(len(runs), progress)
        summary = {"registered": 0, "unchanged": 0, "failed": [], "results": []}
        for done, run in enumerate(runs, start=1):
            try:
                result = self.register_result(run, replace=replace)
            except (ServiceError, OSError, ValueError, TypeError) as error:
                summary["failed"].append({"run": str(run), "error": str(error)})
            else:
                summary["results"].append(result)
                summary["registered" if result.get("created") else "unchanged"] += 1
            bar.update(done, len(summary["failed"]))
        return summary

    # ------------------------------------------------------------------ reading

    @staticmethod
    def _criteria(
        simulation_name, input_filters, output_filters, simulation_version, status
    ) -> dict:
        body = {}
        for key, value in (
            ("simulation_name", simulation_name),
            ("input_filters", input_filters),
            ("output_filters", output_filters),
            ("simulation_version", simulation_version),
            ("status", status),
        ):
            if value is not None:
                body[key] = value
        return body

    def search_page(
        self,
        simulation_name=None,
        input_filters=None,
        output_filters=None,
        simulation_version=None,
        status=None,
        sort=None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> dict:
        """One page of a search: ``{"items", "limit", "next_cursor"}``.

        ``cursor`` is the previous page's ``next_cursor`` (None for the first
        page; it belongs to this ``sort``); ``next_cursor`` is None on the
        last page. ``limit`` is 1 to 1000.
        """
        body = self._criteria(
            simulation_name, input_filters, output_filters, simulation_version, status
        )
        body["limit"] = limit
        if sort is not None:
            body["sort"] = sort
        if cursor is not None:
            body["cursor"] = cursor
        return self._request("POST", "/results/search", json=body, idempotent=True)

    def search(
        self,
        simulation_name=None,
        input_filters=None,
        output_filters=None,
        simulation_version=None,
        status=None,
        sort=None,
        limit: int | None = 100,
    ) -> list[dict]:
        """Runs matching every filter: ``execution_id``, ``input_params``, ``output_params``, ...

        A filter maps a parameter name to a value (equality) or to operators:
        ``{"temperature": {"gt": 300, "le": 400}}``, ``{"material": {"in": ["steel", "copper"]}}``,
        ``{"pressure": {"between": [1, 5]}}``; operators are eq, ne, gt, ge, lt, le, in, between.
        ``sort`` is ``created_at`` (default ``-created_at``), ``registered_at``, ``completed_at``,
        ``duration_seconds``, ``execution_id``, or ``input.NAME`` / ``output.NAME``; a leading
        ``-`` sorts descending (runs lacking the value come last either way). At most ``limit``
        runs (None: every one), fetched in pages of up to 1000 that follow ``next_cursor``.
        """
        return collect_pages(
            lambda size, cursor: self.search_page(
                simulation_name,
                input_filters,
                output_filters,
                simulation_version,
                status,
                sort,
                size,
                cursor,
            ),
            limit,
            MAX_PAGE,
        )

    def iter_search(
        self,
        simulation_name=None,
        input_filters=None,
        output_filters=None,
        simulation_version=None,
        status=None,
        sort=None,
        page_size: int = 500,
    ):
        """Every matching run, fetched page by page (``page_size`` runs each, following cursors)."""
        return follow_pages(
            lambda cursor: self.search_page(
                simulation_name,
                input_filters,
                output_filters,
                simulation_version,
                status,
                sort,
                page_size,
                cursor,
            )
        )

    def column_chunks(
        self,
        simulation_name: str,
        input_filters=None,
        output_filters=None,
        *,
        simulation_version=None,
        status=None,
        columns=None,
    ):
        """The columnar answer as it streams in: the header first, then one dict per chunk.

        The header is ``{"simulation_name", "simulation_version", "columns": [names],
        "types", "units"}``; every chunk maps each column name to the next runs'
        values (at most a few thousand). Raises ``ServerError`` when the stream
        ends early or reports a failure, so a short answer is never taken for a whole one.
        """
        body = self._criteria(
            simulation_name, input_filters, output_filters, simulation_version, status
        )
        if columns is not None:
            body["columns"] = list(columns)
        url = self.base_url + "/results/columns"
        response = self._request(
            "POST", "/results/columns", json=body, idempotent=True, stream=True, raw=True
        )
        with response:
            lines = response.iter_lines(chunk_size=1 << 20)
            try:
                yield orjson.loads(next(lines))
                for line in lines:
                    message = orjson.loads(line)
                    if "columns" in message:
                        yield message["columns"]
                    elif "count" in message:
                        return
                    else:
                        error = message.get("error") or {}
                        raise ServerError(
                            error.get("message", "the service ended the answer with an error"),
                            status=response.status_code,
                            code=error.get("code"),
                            method="POST",
                            url=url,
                        )
            except (requests.RequestException, StopIteration, orjson.JSONDecodeError) as error:
                raise ServerError(
                    f"the columnar answer was cut short ({error.__class__.__name__})",
                    status=response.status_code,
                    method="POST",
                    url=url,
                ) from error
        raise ServerError("the columnar answer ended without its trailer", method="POST", url=url)

    def columns(
        self,
        simulation_name: str,
        input_filters=None,
        output_filters=None,
        *,
        simulation_version=None,
        columns=None,
    ) -> dict:
        """Chosen parameters of every matching run, as columns (one request, streamed).

        Returns ``{"simulation_name", "simulation_version", "count", "columns":
        {"execution_id": [...], "status": [...], "created_at": [...],
        "inputs.<name>": [...], "outputs.<name>": [...]}, "types": {...},
        "units": {...}}``, every list one value per run in registration order;
        ``created_at`` is an RFC 3339 string, a run without a parameter (or a NaN)
        has ``None``. ``columns=["temperature", "outputs.max_stress"]`` picks
        parameters (a bare name takes the input and the output of that name);
        the default is every parameter of the simulation. Filters as in ``search``.
        """
        chunks = self.column_chunks(
            simulation_name,
            input_filters,
            output_filters,
            simulation_version=simulation_version,
            columns=columns,
        )
        header = next(chunks)
        values = {name: [] for name in header["columns"]}
        for chunk in chunks:
            for name, column in chunk.items():
                values[name].extend(column)
        return {
            "simulation_name": header["simulation_name"],
            "simulation_version": header["simulation_version"],
            "count": len(values["execution_id"]),
            "columns": values,
            "types": header["types"],
            "units": header["units"],
        }

    def to_dataframe(
        self,
        simulation_name: str,
        input_filters=None,
        output_filters=None,
        *,
        simulation_version=None,
        columns=None,
    ):
        """Every matching run as a pandas DataFrame, one row per run (needs the ``pandas`` extra).

        Columns ``execution_id``, ``status``, ``created_at`` (UTC datetimes), then
        ``inputs.<name>`` and ``outputs.<name>``; numbers get numeric dtypes
        (NaN where a run lacks the value), and ``df.attrs["units"]`` maps every
        column to its units (``df.attrs["types"]`` to its declared type).
        """
        from sim2l_results_client.frames import columns_to_dataframe
        from sim2l_results_client.frames import require_pandas

        require_pandas()  # before the request: a missing extra should not cost a download
        return columns_to_dataframe(
            self.columns(
                simulation_name,
                input_filters,
                output_filters,
                simulation_version=simulation_version,
                columns=columns,
            )
        )

    def get_parameter_stats(
        self,
        simulation_name: str,
        param_name: str,
        param_class: str = "output",
        *,
        input_filters=None,
        output_filters=None,
        simulation_version=None,
        status=None,
    ) -> dict:
        """count, min, max, mean and standard deviation (``*_value``) of a parameter."""
        body = self._criteria(
            simulation_name, input_filters, output_filters, simulation_version, status
        )
        body.update(param_name=param_name, param_class=param_class)
        return self._request("POST", "/parameters/stats", json=body, idempotent=True)

    def distinct_values_page(
        self,
        simulation_name: str,
        param_name: str,
        param_class: str = "input",
        limit: int = 100,
        cursor: str | None = None,
    ) -> dict:
        """One page of a string parameter's distinct values: ``{"items", "limit", "next_cursor"}``.

        Items are ``{"value", "count"}`` in byte order of the value; ``cursor`` is
        the previous page's ``next_cursor``.
        """
        params = {
            "simulation_name": simulation_name,
            "param_name": param_name,
            "param_class": param_class,
            "limit": limit,
        }
        if cursor is not None:
            params["cursor"] = cursor
        return self._request("GET", "/parameters/distinct", params=params)

    def distinct_values(
        self,
        simulation_name: str,
        param_name: str,
        param_class: str = "input",
        limit: int | None = 100,
    ) -> list[dict]:
        """The distinct values of a string parameter: ``[{"value": ..., "count": ...}]``.

        At most ``limit`` of them (None: every one), in byte order, following ``next_cursor``.
        """
        return collect_pages(
            lambda size, cursor: self.distinct_values_page(
                simulation_name, param_name, param_class, size, cursor
            ),
            limit,
            MAX_PAGE,
        )

    def parameter_schemas_page(
        self,
        simulation_name: str,
        simulation_version: str | None = None,
        limit: int = MAX_SCHEMAS_PAGE,
        cursor: str | None = None,
    ) -> dict:
        """One page of a simulation's parameter schemas.

        ``{"simulation_name", "schemas", "limit", "next_cursor"}``; ``cursor``
        is the previous page's ``next_cursor``.
        """
        params = {"simulation_name": simulation_name, "limit": limit}
        if simulation_version is not None:
            params["simulation_version"] = simulation_version
        if cursor is not None:
            params["cursor"] = cursor
        return self._request("GET", "/parameters/schemas", params=params)

    def parameter_schemas(
        self,
        simulation_name: str,
        simulation_version: str | None = None,
        *,
        page_size: int = MAX_SCHEMAS_PAGE,
    ) -> list[dict]:
        """Every parameter schema of a simulation as seen across its registered runs.

        In order of version, class and name; fetched ``page_size`` at a time.
        """

        def page(size: int, cursor: str | None) -> dict:
            answer = self.parameter_schemas_page(simulation_name, simulation_version, size, cursor)
            return {"items": answer["schemas"], "next_cursor": answer["next_cursor"]}

        return collect_pages(page, None, page_size)

    def get_result(self, execution_id: str) -> dict | None:
        """The results view of one run (metadata, inputs, outputs, units, artifacts), or None."""
        return self._request("GET", f"/results/{_quote(execution_id)}", not_found_none=True)

    def delete_result(self, execution_id: str) -> bool:
        """Delete a registered result and its stored file; False when it was not registered."""
        try:
            self._request("DELETE", f"/results/{_quote(execution_id)}")
        except NotFoundError:
            return False
        return True

    def download(self, execution_id: str, dest_path, overwrite: bool = False) -> Path:
        """Save the stored run file at ``dest_path`` (never overwrites unless asked)."""
        dest = Path(dest_path).expanduser()
        if dest.is_dir():
            dest = dest / f"{_quote(execution_id)}.db"
        if dest.exists() and not overwrite:
            raise FileExistsError(f"{dest} exists; pass overwrite=True to replace it")
        response = self._request(
            "GET", f"/results/{_quote(execution_id)}/file", stream=True, raw=True
        )
        descriptor, partial = tempfile.mkstemp(
            dir=dest.parent, prefix=f".{dest.name}.", suffix=".partial"
        )
        try:
            with os.fdopen(descriptor, "wb") as target, response:
                for chunk in response.iter_content(chunk_size=1024 * 1024):
                    target.write(chunk)
            os.replace(partial, dest)
        except BaseException:
            if os.path.exists(partial):
                os.unlink(partial)
            raise
        return dest


class _consistent_copy:
    """The run file itself, or a consistent snapshot when a WAL holds part of it.

    A run file in WAL mode may keep recent commits in ``<file>-wal`` while a
    writer has it open; uploading the main file alone would lose them, so the
    SQLite backup API copies the whole database into a temporary file first.
    """

    def __init__(self, path: Path):
        self.path = path
        self.temporary = None

    def __enter__(self) -> Path:
        wal = Path(f"{self.path}-wal")
        if not wal.exists() or wal.stat().st_size == 0:
            return self.path
        descriptor, name = tempfile.mkstemp(suffix=".db")
        os.close(descriptor)
        self.temporary = Path(name)
        source = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        target = sqlite3.connect(name)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
            source.close()
        return self.temporary

    def __exit__(self, *exc_info):
        if self.temporary is not None and self.temporary.exists():
            self.temporary.unlink()
