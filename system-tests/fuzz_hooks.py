"""schemathesis hooks of the fuzzing test (``SCHEMATHESIS_HOOKS=fuzz_hooks``).

A list's ``cursor`` is opaque (``sim2l_service_kit.pagination``): the document
can say it is a string of 1 to 2048 characters, never which strings this
service gave out for this sort. A generated string is schema-valid and, unless
it happens to be a real cursor, refused with a 400 naming ``cursor``, which is
the contract. That one refusal is dropped; any other refusal of a schema-valid
request, on the same operations too, still fails the run.
"""

import json

import schemathesis


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
        and (set(details) == {"cursor"})
    )


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    """Keep every failure but a schema-valid cursor the service did not give, refused."""
    if type(failure).__name__ != "RejectedPositiveData":
        return True
    return not _refuses_only_the_cursor(response)
