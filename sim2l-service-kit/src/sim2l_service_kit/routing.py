"""Routing help: identifiers in a path that never shadow a literal route.

``/cache/<path:cache_key>`` also matches ``/cache/stats``; a GET there goes to
the literal ``/cache/stats`` route (Werkzeug prefers it), but a DELETE would
delete the entry named "stats", and ``Allow`` lists both routes' methods, so
``OPTIONS /cache/stats`` advertises methods the document does not list.
``path_converter_excluding`` makes such a path parameter never equal to the
name of a literal route beside it: that URL belongs to the literal route for
every method.
"""

import re

from werkzeug.routing import BaseConverter
from werkzeug.routing import PathConverter
from werkzeug.routing import UnicodeConverter


def converter_excluding(base: type[BaseConverter], *names: str) -> type[BaseConverter]:
    """``base`` (a Werkzeug converter) matching what it matches but exactly one of ``names``."""
    reserved = "|".join(re.escape(name) for name in names)

    class ExcludingConverter(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # Set here: some converters (string) build their regex in __init__.
            self.regex = rf"(?!(?:{reserved})\Z){self.regex}"

    return ExcludingConverter


def path_converter_excluding(*names: str) -> type[BaseConverter]:
    """A ``path`` converter that matches anything but exactly one of ``names``."""
    return converter_excluding(PathConverter, *names)


def string_converter_excluding(*names: str) -> type[BaseConverter]:
    """A ``string`` (one segment) converter that matches anything but one of ``names``."""
    return converter_excluding(UnicodeConverter, *names)
