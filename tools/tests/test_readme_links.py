"""Every link in a README or the docs resolves inside the repository.

A reader of one distribution's README may have only this repository: a link
to a file outside it (``../shared/DESIGN.md``, say) or to a file that moved
is a dead end. Checked: Markdown links ``[text](target)`` that are not URLs,
and backticked paths with a folder, ending in ``.md``, relative to the file.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_FOLDERS = {".venv", ".tox", ".git", "node_modules", "build", "dist", ".pytest_cache"}
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
BACKTICKED_MD_PATH = re.compile(r"`((?:\.\.?/)?[\w.-]+/[\w./-]*\.md)`")


def documents() -> list[Path]:
    """Every README and every Markdown page under docs/ in the repository."""
    found = []
    for path in ROOT.rglob("*.md"):
        if SKIPPED_FOLDERS & set(path.relative_to(ROOT).parts):
            continue
        if path.name == "README.md" or path.relative_to(ROOT).parts[0] == "docs":
            found.append(path)
    return sorted(found)


def local_targets(text: str) -> set[str]:
    """The link targets in ``text`` that name files (no URLs, no in-page anchors)."""
    targets = set(MARKDOWN_LINK.findall(text)) | set(BACKTICKED_MD_PATH.findall(text))
    return {
        target.split("#", 1)[0]
        for target in targets
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target) and not target.startswith("#")
    }


def test_the_repository_has_readmes_to_check():
    names = {path.relative_to(ROOT).as_posix() for path in documents()}
    assert "README.md" in names and "sim2l-sessions/README.md" in names


@pytest.mark.parametrize("document", documents(), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_link_resolves_inside_the_repository(document: Path):
    dead = []
    for target in sorted(local_targets(document.read_text())):
        resolved = (document.parent / target).resolve()
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            dead.append(target)
    assert dead == [], f"{document.relative_to(ROOT)} links to what the repository does not hold"


def test_a_link_outside_the_repository_is_found(tmp_path):
    # The checker itself: the link that sent readers out of the repository.
    assert local_targets("see `../shared/DESIGN.md` and [x](https://example.org)") == {
        "../shared/DESIGN.md"
    }
