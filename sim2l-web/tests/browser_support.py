"""Whether the browser tests can run: Debian's Chromium and the playwright package."""

import os
import shutil

CHROMIUM = os.environ.get("SIM2L_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Why the browser tests were skipped (reported loudly at the end of the run).
MISSING_BROWSER: list[str] = []


def browser_required() -> bool:
    """``SIM2L_REQUIRE_BROWSER=1``: a missing browser is a failure, not a skip."""
    return os.environ.get("SIM2L_REQUIRE_BROWSER", "") not in ("", "0", "false")


def why_no_browser() -> str | None:
    """What is missing for the browser tests, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright)"
    found = os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)
    if not found and not shutil.which(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium, or set SIM2L_CHROMIUM)"
    return None
