"""The HTTP client base every sim2l client shares.

One ``_request()`` path for every call: base URL, the session header,
timeouts, JSON in and out, and the mapping of error responses to the
exceptions of ``sim2l_sessions.client_errors``. A ``requests.Session`` per
client keeps connections alive.

Retries live here and nowhere else (urllib3 retries nothing; the clients do
not loop): a connection that could not be opened is retried for any call,
since nothing was sent; a lost answer or a 502/503/504 only for idempotent
methods (GET, HEAD, PUT, DELETE, OPTIONS), and for a POST only when the
caller marks it idempotent (say, because it carries an idempotency key, is
an upsert, or uploads content that registers once). Each retry waits
``backoff_seconds(attempt)``, or the answer's ``Retry-After`` when longer.
"""

import os
import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import ReadTimeoutError

from sim2l_sessions.client_errors import InvalidRequestError
from sim2l_sessions.client_errors import RateLimitedError
from sim2l_sessions.client_errors import ServiceConnectionError
from sim2l_sessions.client_errors import ServiceError
from sim2l_sessions.client_errors import WrongServiceError
from sim2l_sessions.client_errors import error_class_for_status

DEFAULT_TIMEOUT = (3.05, 30)  # connect, read (seconds)
SESSION_HEADER = "X-Session-ID"
# Every answer of a sim2l service names the service, so a client pointed at
# the wrong port says so instead of reading another service's 404 as a miss.
SERVICE_HEADER = "X-Sim2l-Service"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 10.0


def backoff_seconds(attempt: int) -> float:
    """How long to wait before retry number ``attempt + 1``: 0.2 s, 0.4 s, 0.8 s, ..."""
    return 0.2 * 2**attempt


def _retry_after(response) -> float:
    """A numeric ``Retry-After`` of the answer, capped; 0 without one."""
    try:
        return min(float(response.headers.get("Retry-After", 0)), MAX_RETRY_AFTER_SECONDS)
    except ValueError:
        return 0.0


def _nothing_was_sent(error: requests.RequestException) -> bool:
    """Whether the connection failed before the request left (so any call may be retried)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, NewConnectionError)


def _is_timeout(error: requests.RequestException) -> bool:
    """Whether a transport error was a timeout (urllib3 wraps them once retries run out)."""
    if isinstance(error, requests.Timeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    # urllib3's NewConnectionError (refused, unreachable) subclasses ConnectTimeoutError.
    if isinstance(reason, NewConnectionError):
        return False
    return isinstance(reason, (ReadTimeoutError, ConnectTimeoutError))


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("sim2l-sessions")
    except Exception:  # running from a source tree without metadata
        return "0"


class ServiceClient:
    """Base of ``CacheClient``, ``CatalogClient`` and ``ResultsClient``.

    ``base_url`` is the service's root (``http://localhost:8001``);
    ``session_id`` the token sent as ``X-Session-ID``; ``timeout`` seconds (or
    a ``(connect, read)`` pair); ``retries`` how often an idempotent call is
    retried after a connection failure or a 502/503/504. A subclass names the
    service it talks to in ``service``; an answer from another service raises
    ``WrongServiceError``.
    """

    #: The service this client talks to ("cache", "catalog", "results"), or
    #: None for any sim2l service (the sessions routes every service mounts).
    service: str | None = None

    def __init__(
        self,
        base_url: str,
        session_id: str | None = None,
        timeout=DEFAULT_TIMEOUT,
        retries: int = 2,
    ):
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"service URL must start with http:// or https://, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.session_id = session_id
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers["User-Agent"] = f"sim2l-client/{_version()}"
        self.retries = retries
        # No retries below this class: _request is the one place that retries.
        adapter = HTTPAdapter(max_retries=0)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)

    def close(self) -> None:
        """Close the pooled connections."""
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _headers(self, extra=None) -> dict:
        headers = {}
        if self.session_id:
            headers[SESSION_HEADER] = self.session_id
        if extra:
            headers.update(extra)
        return headers

    def _request(
        self,
        method: str,
        path: str,
        *,
        json=None,
        params=None,
        data=None,
        files=None,
        headers=None,
        idempotent: bool | None = None,
        stream: bool = False,
        not_found_none: bool = False,
        raw: bool = False,
    ):
        """Send one request; return the decoded JSON (or the response when ``raw``).

        ``not_found_none`` turns a 404 into None (the cache's miss).
        ``idempotent=True`` lets a POST be retried like a GET. ``data`` may be
        a path: the file is sent as the body, opened afresh for every attempt.
        """
        url = self.base_url + path
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self._send(method, url, json, params, data, files, headers, stream)
            except requests.exceptions.InvalidJSONError as error:
                # Nothing was sent and no attempt would send it (an infinity or
                # NaN in the body): the caller's value is wrong, not the network.
                raise InvalidRequestError(
                    f"the request cannot be sent as JSON: {error}", method=method, url=url
                ) from None
            except requests.RequestException as error:
                if not last and (idempotent or _nothing_was_sent(error)):
                    time.sleep(backoff_seconds(attempt))
                    continue
                if _is_timeout(error):
                    raise ServiceConnectionError(
                        f"no answer within the timeout ({self.timeout}s)", method=method, url=url
                    ) from error
                raise ServiceConnectionError(
                    f"cannot reach the service: {error.__class__.__name__}", method=method, url=url
                ) from error
            if not last and idempotent and response.status_code in RETRY_STATUSES:
                response.close()
                time.sleep(max(backoff_seconds(attempt), _retry_after(response)))
                continue
            break
        self._check_service(response, method, url)
        if response.status_code == 404 and not_found_none:
            response.close()
            return None
        if response.status_code >= 400:
            raise self._error(response, method, url)
        if raw:
            return response
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ServiceError(
                "the service answered with something that is not JSON",
                status=response.status_code,
                method=method,
                url=url,
            ) from None

    def _send(self, method, url, json, params, data, files, headers, stream):
        """One attempt; a path in ``data`` is opened here, so every attempt sends all of it."""
        if isinstance(data, os.PathLike):
            with open(data, "rb") as body:
                return self._send(method, url, json, params, body, files, headers, stream)
        return self.http.request(
            method,
            url,
            json=json,
            params=params,
            data=data,
            files=files,
            headers=self._headers(headers),
            timeout=self.timeout,
            stream=stream,
        )

    def _check_service(self, response, method: str, url: str) -> None:
        """Raise ``WrongServiceError`` when the answer comes from another service."""
        if self.service is None:
            return
        answered_by = response.headers.get(SERVICE_HEADER)
        if answered_by == self.service:
            return
        if answered_by is None and response.status_code != 404:
            return  # a proxy's own answer (a 502, say) is reported as itself
        response.close()
        if answered_by is None:
            message = f"{self.base_url} does not answer as a sim2l {self.service} service"
        else:
            message = (
                f"{self.base_url} is the {answered_by} service, not the {self.service} service"
            )
        raise WrongServiceError(message, status=response.status_code, method=method, url=url)

    @staticmethod
    def _error(response, method: str, url: str) -> ServiceError:
        code, message, details = None, response.reason or "error", {}
        try:
            body = response.json()
            error = body.get("error", {}) if isinstance(body, dict) else {}
            code = error.get("code")
            message = error.get("message") or message
            details = error.get("details") or {}
        except ValueError:
            pass
        exception = error_class_for_status(response.status_code)(
            message, status=response.status_code, code=code, details=details, method=method, url=url
        )
        if isinstance(exception, RateLimitedError):
            exception.retry_after = response.headers.get("Retry-After")
        return exception

    def health(self) -> dict:
        """The service's ``/health`` answer."""
        return self._request("GET", "/health")
