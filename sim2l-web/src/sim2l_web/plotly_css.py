"""plotly.js's style sheets, read out of its bundle (so no inline ``<style>`` is needed).

Two kinds, both turned into stylesheets the dashboard serves itself:

- the global rules (``global_rules``);
- whole style sheets a bundled library injects once under a fixed element id
  (maplibre's: ``if (!document.getElementById(ID)) { style.textContent = '...' }``):
  ``injected_sheets`` returns ``{ID: css}``, and a ``<link id=ID>`` on the page
  makes the library skip its injection.

The global rules:
plotly.js keeps them in one object literal, ``{"X .modebar": "...", Y: "...", ...}``,
which it walks at load time with ``key.replace(/^,/, " ,").replace(/X/g,
".js-plotly-plot .plotly").replace(/Y/g, ".plotly-notifier")`` and
``addStyleRule(selector, rules)``. This module finds that literal next to
that loop and turns it into CSS, with a small tokenizer for its quoted
strings; anything unexpected gives an empty stylesheet rather than a guess.
"""

import re

_LOOP = re.compile(
    r"for\((\w+) in (\w+)\)\w+=\1\.replace\(/\^,/,\" ,\"\)"
    r"\.replace\(/X/g,\"\.js-plotly-plot \.plotly\"\)\.replace\(/Y/g,\"\.plotly-notifier\"\)"
)
_TOKEN = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'|([A-Za-z_$][\w$]*)|([{}:,])")


def _object_literal(source: str, name: str, end: int) -> str | None:
    start = source.rfind(f"{name}={{", 0, end)
    if start < 0:
        return None
    return source[start + len(name) + 1 : end]


def _pairs(literal: str) -> list[tuple[str, str]] | None:
    tokens = []
    position = 0
    while position < len(literal):
        if literal[position].isspace():
            position += 1
            continue
        match = _TOKEN.match(literal, position)
        if match is None:
            return None
        double, single, bare, punctuation = match.groups()
        if punctuation:
            tokens.append(("p", punctuation))
        else:
            if bare is not None:
                tokens.append(("b", bare))  # a name: fine as a key, never as a value
            else:
                text = double if double is not None else single
                tokens.append(("s", text.replace('\\"', '"').replace("\\'", "'")))
        position = match.end()
    if len(tokens) < 2 or tokens[0] != ("p", "{"):
        return None
    pairs, index = [], 1
    while index + 2 < len(tokens) and tokens[index][0] in ("s", "b"):
        key, colon, value = tokens[index : index + 3]
        if colon != ("p", ":") or value[0] != "s":
            return None
        pairs.append((key[1], value[1]))
        index += 3
        if tokens[index] == ("p", ","):
            index += 1
    return pairs if tokens[index:] in ([("p", "}")], [("p", "}"), ("p", ";")]) else None


_INJECTED = re.compile(
    r"document\.getElementById\(\"([0-9A-Za-z_-]{8,128})\"\)\)\{var (\w+)=document\.createElement"
    r"\(\"style\"\);\2\.id=\"\1\",\2\.textContent='((?:[^'\\]|\\.)*)'"
)


def injected_sheets(source: str) -> dict[str, str]:
    """``{element id: css}`` of the style sheets bundled libraries inject under a fixed id."""
    return {
        match.group(1): match.group(3).replace("\\'", "'") for match in _INJECTED.finditer(source)
    }


def global_rules(source: str) -> str:
    """The CSS plotly.js would inject, from its bundle's ``source``; '' when not found."""
    loop = _LOOP.search(source)
    if loop is None:
        return ""
    name = loop.group(2)
    end = source.rfind("}", 0, loop.start())
    literal = _object_literal(source, name, end + 1)
    pairs = _pairs(literal) if literal else None
    if not pairs:
        return ""
    lines = []
    for key, rules in pairs:
        selector = re.sub(r"^,", " ,", key)
        selector = selector.replace("X", ".js-plotly-plot .plotly").replace("Y", ".plotly-notifier")
        lines.append(f"{selector}{{{rules}}}")
    return "\n".join(lines) + "\n"
