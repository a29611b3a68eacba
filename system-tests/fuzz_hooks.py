"""schemathesis hooks of the fuzzing test (loaded through SCHEMATHESIS_HOOKS).

A list's ``cursor`` is not text a client makes up: it is the ``next_cursor``
of a page the service answered (``sim2l_service_kit.pagination``), and any
other text is a 400 ``validation_error`` naming ``cursor``, which each
service's own tests hold, edited and foreign cursors included. The document
can say only "a string of 1 to 2,048 characters", so every cursor schemathesis
invents would count as a schema-valid request refused. Where a generated
request carries a cursor, this puts in its place one that the list gives out,
as a client following ``next_cursor`` does: the position before the list's
first item. Whether a cursor is sent at all, and every other parameter, stays
generated.

A list added to a service adds its cursor here.
"""

import schemathesis
from sim2l_cache_service.views import ENTRIES_ORDER
from sim2l_cache_service.views import INVALIDATIONS_ORDER
from sim2l_catalog_service.models import MAX_ID as CATALOG_MAX_ID
from sim2l_catalog_service.pages import SEARCH_ORDER
from sim2l_catalog_service.pages import VERSIONS_ORDER
from sim2l_service_kit.pagination import encode_cursor

# Before the first item: ids above 0 (cache); rank 0 with an id past every id
# (search: every match follows); a version key above every version's (versions).
CURSORS = {
    "/cache/entries": encode_cursor(ENTRIES_ORDER, (0,)),
    "/cache/invalidations": encode_cursor(INVALIDATIONS_ORDER, (0,)),
    "/simulations": encode_cursor(SEARCH_ORDER, (0, CATALOG_MAX_ID)),
    "/simulations/{name}/versions": encode_cursor(
        VERSIONS_ORDER, ("9999999999.9999999999.9999999999~", CATALOG_MAX_ID)
    ),
}


@schemathesis.hook
def before_call(context, case, kwargs):
    """A cursor the list gave out wherever the generated request holds one."""
    cursor = CURSORS.get(case.operation.path)
    if cursor is not None and case.query and "cursor" in case.query:
        case.query["cursor"] = cursor
