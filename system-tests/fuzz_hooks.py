"""schemathesis hooks of the fuzzing test (loaded through SCHEMATHESIS_HOOKS).

A list's ``cursor`` is not text a client makes up: it is the ``next_cursor``
of a page the service answered (``sim2l_service_kit.pagination``), and any
other text is a 400 ``validation_error`` naming ``cursor``, which each
service's own tests hold, edited and foreign cursors included. The document
can say only "a string of 1 to 2,048 characters", so every cursor schemathesis
invents would count as a schema-valid request refused. Two hooks:

- ``before_call``: where a generated request to a list named in ``CURSORS``
  carries a cursor, one that the list gives out takes its place, as a client
  following ``next_cursor`` sends (the position before the list's first
  item), so the keyset path is fuzzed with every other parameter generated;
- ``filter_failure``: for any other list, the one refusal of a made-up
  cursor (a 400 ``validation_error`` whose details name ``cursor`` alone) is
  dropped; every other refusal of a schema-valid request still fails the run.
"""

import json

import schemathesis
from sim2l_cache_service.views import ENTRIES_ORDER
from sim2l_cache_service.views import INVALIDATIONS_ORDER
from sim2l_catalog_service.models import MAX_ID as CATALOG_MAX_ID
from sim2l_catalog_service.pages import SEARCH_ORDER
from sim2l_catalog_service.pages import VERSIONS_ORDER
from sim2l_service_kit.pagination import encode_cursor
from sim2l_service_kit.sessions_blueprint import USERS_BY_NAME

# Before the first item: ids above 0 (cache); rank 0 with an id past every id
# (search: every match follows); a version key above every version's
# (versions); the empty name (users).
CURSORS = {
    "/cache/entries": encode_cursor(ENTRIES_ORDER, (0,)),
    "/cache/invalidations": encode_cursor(INVALIDATIONS_ORDER, (0,)),
    "/simulations": encode_cursor(SEARCH_ORDER, (0, CATALOG_MAX_ID)),
    "/simulations/{name}/versions": encode_cursor(
        VERSIONS_ORDER, ("9999999999.9999999999.9999999999~", CATALOG_MAX_ID)
    ),
    "/users": encode_cursor(USERS_BY_NAME, ("",)),
}


@schemathesis.hook
def before_call(context, case, kwargs):
    """A cursor the list gave out wherever the generated request to a known list holds one."""
    cursor = CURSORS.get(case.operation.path)
    if cursor is not None and case.query and "cursor" in case.query:
        case.query["cursor"] = cursor


def _refuses_only_the_cursor(response) -> bool:
    """Whether the answer is the 400 validation_error whose details name ``cursor`` alone."""
    if response.status_code != 400:
        return False
    try:
        error = json.loads(response.content)["error"]
    except (ValueError, KeyError, TypeError):
        return False
    details = error.get("details") if isinstance(error, dict) else None
    return (
        error.get("code") == "validation_error"
        and isinstance(details, dict)
        and set(details) == {"cursor"}
    )


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    """Keep every failure but a made-up cursor's refusal on a list ``CURSORS`` does not know."""
    if type(failure).__name__ != "RejectedPositiveData":
        return True
    return not _refuses_only_the_cursor(response)
