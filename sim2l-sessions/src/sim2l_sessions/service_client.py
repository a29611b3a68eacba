"""The HTTP client base every sim2l client shares.

One ``_request()`` path for every call: base URL, the session header,
timeouts, JSON in and out, and the mapping of error responses to the
exceptions of ``sim2l_sessions.client_errors``. A ``requests.Session`` per
client keeps connections alive. Connection failures and 502/503/504 are
retried only for idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS), and for
a POST only when the caller marks it idempotent (say, because it carries an
idempotency key or is an upsert).
"""

import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

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
        adapter = HTTPAdapter(max_retries=self._retry_policy(retries))
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)

    @staticmethod
    def _retry_policy(retries: int) -> Retry:
        return Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=0.2,
            status_forcelist=(502, 503, 504),
            allowed_methods=frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}),
            raise_on_status=False,
            respect_retry_after_header=True,
        )

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
        ``idempotent=True`` lets a POST be retried like a GET.
        """
        url = self.base_url + path
        # urllib3 retries only GET/HEAD/PUT/DELETE/OPTIONS; a POST the caller
        # declares idempotent is retried here, with the same policy.
        attempts = 1 + (self.retries if idempotent and method.upper() == "POST" else 0)
        for attempt in range(attempts):
            try:
                response = self.http.request(
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
            except requests.RequestException as error:
                if _is_timeout(error):
                    if attempt + 1 < attempts:
                        continue
                    raise ServiceConnectionError(
                        f"no answer within the timeout ({self.timeout}s)", method=method, url=url
                    ) from error
                if attempt + 1 < attempts:
                    time.sleep(0.2 * (2**attempt))
                    continue
                raise ServiceConnectionError(
                    f"cannot reach the service: {error.__class__.__name__}", method=method, url=url
                ) from error
            if response.status_code in (502, 503, 504) and attempt + 1 < attempts:
                time.sleep(0.2 * (2**attempt))
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
