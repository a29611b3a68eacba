"""Browser tests: Debian's Chromium, headless, driven by Playwright for Python.

The dashboard is served on 127.0.0.1 (werkzeug, in this process) in front of
the three real services; Chromium signs in, searches, filters, sorts, pages,
opens a run, downloads an artifact, draws the scatter of 10,000 runs,
compares runs, signs out and is refused what a user may not see. Every page
is saved as a screenshot under the test's ``tmp_path`` and its path printed.

Without Chromium (``/usr/bin/chromium``, or ``SIM2L_CHROMIUM``) or the
playwright package these tests are skipped with a loud notice, unless
``SIM2L_REQUIRE_BROWSER=1``, where they fail.
"""

import csv
import io
import re

import pytest
from browser_support import CHROMIUM
from browser_support import CHROMIUM_FLAGS
from browser_support import MISSING_BROWSER
from browser_support import browser_required
from browser_support import why_no_browser
from conftest import PASSWORDS
from sim2l_service_kit.testing import LiveServer

pytestmark = pytest.mark.parametrize("stack", ["sqlite"], indirect=True)

SCATTER_RUNS = 10_000
# The points of the scatter: the runs' trace (the colour bar's trace shows none).
SCATTER_POINTS = (
    "document.getElementById('scatter').data.filter(t => t.hoverinfo !== 'skip')"
    ".reduce((sum, t) => sum + t.x.length, 0)"
)
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def chromium():
    """One headless Chromium for the module."""
    reason = why_no_browser()
    if reason:
        if browser_required():
            pytest.fail(f"a browser is required (SIM2L_REQUIRE_BROWSER=1): {reason}")
        MISSING_BROWSER.append(reason)
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def dashboard(stack):
    """The dashboard served on 127.0.0.1 for the browser, with 10,000 more runs to plot."""
    from bulk_runs import load_runs
    from sim2l_web import create_app

    simulation = load_runs(
        stack.database_url, stack.urls["catalog"], stack.token("developer"), SCATTER_RUNS
    )
    app = create_app(
        {
            "cache_url": stack.urls["cache"],
            "catalog_url": stack.urls["catalog"],
            "results_url": stack.urls["results"],
            "secret_key": "browser-test-cookie-key-" + "b" * 20,
        }
    )
    server = LiveServer(app)
    yield {"url": server.url, "bulk": simulation}
    server.stop()


class Pages:
    """A browser page with the dashboard's URL and a screenshot per step."""

    def __init__(self, page, base_url: str, folder):
        self.page = page
        self.base_url = base_url
        self.folder = folder
        self.csp_violations = []
        page.on(
            "console",
            lambda message: (
                self.csp_violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )

    def go(self, path: str):
        return self.page.goto(self.base_url + path)

    def shot(self, name: str) -> str:
        path = self.folder / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return str(path)

    def shot_of(self, selector: str, name: str) -> str:
        path = self.folder / f"{name}.png"
        self.page.locator(selector).screenshot(path=str(path))
        print(f"screenshot: {path}")
        return str(path)

    def sign_in(self, username: str):
        self.go("/login")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(PASSWORDS[username])
        self.page.get_by_role("button", name="Sign in").click()


def _fresh_pages(chromium, dashboard, folder):
    """A fresh browser context (no cookies) and page; closed and checked for CSP violations."""
    context = chromium.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    pages = Pages(context.new_page(), dashboard["url"], folder)
    yield pages
    context.close()
    assert pages.csp_violations == [], pages.csp_violations


@pytest.fixture
def browser_page(chromium, dashboard, tmp_path):
    """A fresh browser context (no cookies) and page."""
    yield from _fresh_pages(chromium, dashboard, tmp_path)


@pytest.fixture
def second_browser_page(chromium, dashboard, tmp_path):
    """Another browser with its own cookies (a second person), saving beside the first."""
    yield from _fresh_pages(chromium, dashboard, tmp_path)


def _table_ids(page) -> list[str]:
    return [link.inner_text() for link in page.locator("#runs tbody td:nth-child(2) a").all()]


def test_sign_in_search_filter_sort_page_and_open_a_run(browser_page, stack):
    from playwright.sync_api import expect

    pages = browser_page
    page = pages.page
    pages.sign_in("ada")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.locator("#count-simulations")).to_have_text("4")
    pages.shot("01-overview")

    page.get_by_role("link", name="Simulations").click()
    page.get_by_label("Search").fill("thermal")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#simulations tbody tr")).to_have_count(1)
    expect(page.locator("#simulations")).to_contain_text("thermal_sim")
    pages.shot("02-catalog-search")

    page.get_by_role("link", name="thermal_sim").first.click()
    expect(page.locator("#schema")).to_contain_text("kelvin")
    pages.shot("03-simulation")

    page.get_by_role("link", name="Explore the runs of 1.0.0").click()
    expect(page.locator("#runs tbody tr")).to_have_count(8)
    page.get_by_label("filter column 1").select_option("inputs.temperature")
    page.get_by_label("filter operator 1").select_option("between")
    page.get_by_label("filter value 1").fill("400,550")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#runs tbody tr")).to_have_count(4)
    assert "op=between" in page.url and "v=400%2C550" in page.url
    pages.shot("04-runs-filtered")

    page.locator("#runs thead a", has_text="inputs.temperature [kelvin]").click()
    expect(page.locator("#runs thead")).to_contain_text("inputs.temperature [kelvin] ▲")
    column = [c["key"] for c in _columns(page)].index("inputs.temperature [kelvin]")
    temperatures = [float(v) for v in _column_values(page, column)]
    assert temperatures == [400.0, 450.0, 500.0, 550.0]
    pages.shot("05-runs-sorted")

    page.goto(page.url + "&limit=2")
    first_page = _table_ids(page)
    page.get_by_role("link", name="Next page").click()
    second_page = _table_ids(page)
    assert len(first_page) == len(second_page) == 2 and not set(first_page) & set(second_page)
    pages.shot("06-runs-second-page")

    page.get_by_role("link", name=second_page[0]).click()
    expect(page.get_by_role("heading", name=re.compile("Run thermal_sim"))).to_be_visible()
    expect(page.locator("#inputs")).to_contain_text("kelvin")
    pages.shot("07-run")

    with page.expect_download() as waiting:
        page.get_by_role("link", name="profile.csv").click()
    download = waiting.value
    rows = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8"))))
    assert rows[0] == ["position_m", "stress_pa"] and len(rows) == 6
    assert download.suggested_filename == "profile.csv"


# How many lines each id and time cell of the runs table takes (the distinct tops
# of its contents' boxes).
CELL_LINES = """cells => cells.map(cell => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    return new Set(Array.from(range.getClientRects(), box => Math.round(box.top))).size;
})"""


def test_run_ids_and_times_stay_on_one_line_in_a_narrow_window(browser_page):
    from playwright.sync_api import expect

    pages = browser_page
    page = pages.page
    page.set_viewport_size({"width": 800, "height": 900})
    pages.sign_in("ada")
    pages.go("/simulations/thermal_sim/runs?version=1.0.0")
    expect(page.locator("#runs tbody tr")).to_have_count(8)
    lines = page.eval_on_selector_all("#runs tbody td.id, #runs tbody td.when", CELL_LINES)
    pages.shot("runs-narrow-window")
    assert len(lines) == 16 and set(lines) == {1}, lines


def _columns(page) -> list[dict]:
    headers = page.locator("#runs thead th").all_inner_texts()
    return [{"key": text.replace(" ▲", "").replace(" ▼", "").strip()} for text in headers]


def _column_values(page, index: int) -> list[str]:
    return page.locator(f"#runs tbody td:nth-child({index + 1})").all_inner_texts()


def test_scatter_draws_all_10000_runs(browser_page, dashboard):
    from playwright.sync_api import expect

    pages = browser_page
    page = pages.page
    pages.sign_in("ada")
    pages.go(
        f"/simulations/{dashboard['bulk']}/runs?x=inputs.temperature&y=outputs.max_stress"
        "&color=inputs.in_00&hist=outputs.max_stress&pc=inputs.temperature&pc=inputs.in_00"
        "&pc=outputs.max_stress&logy=1"
    )
    expect(page.locator("#plots")).to_have_attribute("data-ready", "1", timeout=TIMEOUT_MS)
    # Every run is a point.
    assert page.evaluate(SCATTER_POINTS) == SCATTER_RUNS
    assert page.get_attribute("#scatter", "data-points") == str(SCATTER_RUNS)
    trace = page.evaluate(
        "(() => { const d = document.getElementById('scatter'); return "
        "{type: d.data[0].type, colours: new Set(d.data[0].marker.color.map(String)).size, "
        "scale: d.data.some(t => t.marker.showscale), ylog: d.layout.yaxis.type, "
        "x: d.layout.xaxis.title.text}; })()"
    )
    # Units on the axis, as the runs' parameter schemas declare them.
    assert re.fullmatch(r"inputs\.temperature \[\S+\]", trace.pop("x"))
    # Coloured by the third column, point by point, with its colour bar.
    assert trace.pop("colours") > 1000
    assert trace == {"type": "scattergl", "scale": True, "ylog": "log"}
    assert page.evaluate("document.getElementById('parallel').data[0].type") == "parcoords"
    expect(page.locator("#plot-status")).to_contain_text(f"{SCATTER_RUNS} matching runs plotted")
    pages.shot("08-scatter-10000-runs")
    pages.shot_of("#plots", "08b-the-plots-alone")

    # A box drawn over the scatter becomes two between-filters on the table.
    box = page.locator("#scatter .nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.6, steps=8)
    page.mouse.up()
    page.wait_for_url(re.compile(r".*op=between.*op=between.*"))
    assert "p=inputs.temperature" in page.url and "p=outputs.max_stress" in page.url
    expect(page.locator(".chips")).to_contain_text("inputs.temperature between")
    pages.shot("09-scatter-selection-filters-table")


def test_compare_runs_and_sign_out(browser_page, stack):
    from playwright.sync_api import expect

    pages = browser_page
    page = pages.page
    pages.sign_in("ada")
    pages.go("/simulations/thermal_sim/runs?sort=inputs.temperature")
    for execution_id in stack.runs[:3]:
        page.get_by_label(f"compare {execution_id}").check()
    page.get_by_role("button", name="Compare selected").click()
    expect(page.get_by_role("heading", name="Compare 3 runs")).to_be_visible()
    expect(page.locator("#compare")).to_contain_text("temperature [kelvin]")
    expect(page.locator("#compare")).not_to_contain_text("reference_temperature")
    pages.shot("10-compare")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Signed out")).to_be_visible()
    pages.shot("11-signed-out")
    pages.go("/simulations")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_user_does_not_get_what_needs_more_privileges(browser_page):
    from playwright.sync_api import expect

    pages = browser_page
    page = pages.page
    pages.sign_in("ada")
    expect(page.get_by_role("link", name="Users")).to_have_count(0)
    answer = pages.go("/admin/users")
    assert answer.status == 403
    expect(page.get_by_role("heading", name="Forbidden")).to_be_visible()
    pages.shot("12-user-refused-admin")
    pages.go("/cache")
    expect(page.locator("#invalidate")).to_have_count(0)
    pages.go("/simulations/thermal_sim")
    expect(page.get_by_role("button", name=re.compile("Deprecate"))).to_have_count(0)

    pages.sign_in("root")
    pages.go("/admin/users")
    expect(page.locator("#users")).to_contain_text("ada")
    pages.shot("13-admin-users")


def test_an_admin_changes_a_role_and_ends_sessions(browser_page, second_browser_page):
    from playwright.sync_api import expect

    admin, user = browser_page, second_browser_page
    admin.sign_in("root")
    admin.go("/admin/users")
    admin.page.get_by_label("Username", exact=True).fill("hopper")
    admin.page.get_by_label("Password", exact=True).fill("hopper-password-1")
    admin.page.get_by_role("button", name="Create").click()
    expect(admin.page.locator("#users")).to_contain_text("hopper")

    user.go("/login")
    user.page.get_by_label("Username").fill("hopper")
    user.page.get_by_label("Password").fill("hopper-password-1")
    user.page.get_by_role("button", name="Sign in").click()
    user.go("/simulations/thermal_sim")
    expect(user.page.locator(".who")).to_have_text("hopper (user)")
    expect(user.page.get_by_role("button", name=re.compile("Deprecate"))).to_have_count(0)
    # A user cannot reach the actions: the page and the forms are a 403 page.
    answer = user.go("/admin/users")
    assert answer.status == 403
    expect(user.page.get_by_role("heading", name="Forbidden")).to_be_visible()
    token = user.page.locator("form.signout input[name=csrf_token]").get_attribute("value")
    for action in ("/admin/users/ada/role", "/admin/users/ada/sessions/revoke"):
        refused = user.page.request.post(
            user.base_url + action, form={"csrf_token": token, "role": "admin"}
        )
        assert refused.status == 403 and "manage_users" in refused.text()
    user.shot("14-user-refused-admin-actions")

    admin.page.get_by_label("role of hopper", exact=True).select_option("developer")
    admin.page.get_by_role("button", name="change the role of hopper").click()
    expect(admin.page.locator(".flash")).to_contain_text("hopper is now developer")
    expect(admin.page.get_by_label("role of hopper", exact=True)).to_have_value("developer")
    admin.shot("15-admin-changed-role")

    # The services ended hopper's token with the old role: the next page asks
    # to sign in, and what follows shows the developer's rights.
    user.go("/simulations/thermal_sim")
    expect(user.page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(user.page.locator(".flash")).to_contain_text("Your session ended")
    user.page.get_by_label("Username").fill("hopper")
    user.page.get_by_label("Password").fill("hopper-password-1")
    user.page.get_by_role("button", name="Sign in").click()
    expect(user.page.locator(".who")).to_have_text("hopper (developer)")
    expect(user.page.get_by_role("button", name=re.compile("Deprecate"))).to_be_visible()
    user.shot("16-user-with-new-role")

    admin.page.get_by_role("button", name="end every session of hopper").click()
    expect(admin.page.locator(".flash")).to_contain_text("Ended every session of hopper")
    admin.shot("17-admin-ended-sessions")
    user.page.reload()
    expect(user.page.get_by_role("heading", name="Sign in")).to_be_visible()
    user.shot("18-user-sent-to-sign-in")


def _rows(page, table: str, columns: int = 2) -> list[tuple[str, ...]]:
    cells = page.locator(f"#{table} tbody tr").evaluate_all(
        f"rows => rows.map(r => Array.from(r.cells).slice(0, {columns}).map(c => c.innerText))"
    )
    return [tuple(row) for row in cells]


def _click_through(pages, start: str, table: str, shot: str, columns: int = 2) -> list[tuple]:
    """Follow "Next page" from ``start`` to the last page; every page's rows, in order."""
    from playwright.sync_api import expect

    page = pages.page
    pages.go(start)
    rows, count = _rows(page, table, columns), 1
    while page.get_by_role("link", name="Next page").count():
        page.get_by_role("link", name="Next page").click()
        expect(page.get_by_role("link", name="First page")).to_be_visible()
        rows += _rows(page, table, columns)
        count += 1
    pages.shot(shot)
    assert count == len(rows), (count, rows)  # one row a page (limit=1)
    return rows


def test_catalog_and_cache_pages_follow_the_cursor(browser_page):
    from playwright.sync_api import expect

    pages = browser_page
    page = pages.page
    pages.sign_in("ada")
    pages.go("/simulations?limit=100")
    whole = _rows(page, "simulations")
    assert len(whole) >= 4 and len(set(whole)) == len(whole)
    walked = _click_through(pages, "/simulations?limit=1", "simulations", "14-catalog-last-page")
    assert walked == whole
    expect(page.locator("#count")).to_contain_text("1 matching version on this page")
    page.get_by_role("link", name="First page").click()
    assert _rows(page, "simulations") == whole[:1]

    pages.go("/cache?limit=500")
    entries = _rows(page, "entries", columns=1)
    assert len(entries) >= 3
    walked = _click_through(pages, "/cache?limit=1", "entries", "15-cache-last-page", columns=1)
    assert walked == entries
