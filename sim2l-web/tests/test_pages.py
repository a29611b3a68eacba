"""Route tests: every page through Flask's test client against the real services (both backends)."""

import csv
import io
import json
import re

import pytest
from conftest import csrf_from
from conftest import post_login
from conftest import text_of
from stack import PIXEL_PNG
from stack import TEMPERATURES


def execution_ids(html: str) -> list[str]:
    """The run links of a page, in order."""
    return re.findall(r'href="/runs/([^"/]+)"', html)


# ------------------------------------------------------------------ sign-in


def test_pages_need_a_session(browser_client):
    for path in ("/", "/simulations", "/simulations/thermal_sim/runs", "/cache", "/admin/users"):
        answer = browser_client.get(path)
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/login?next=")


def test_login_sets_a_locked_down_cookie_and_logout_revokes(browser_client, stack):
    page = browser_client.get("/login")
    assert 'name="username"' in text_of(page) and 'name="password"' in text_of(page)
    answer = post_login(browser_client, "ada", "ada-password-1", "/login?next=/simulations")
    assert answer.status_code == 302 and answer.headers["Location"] == "/simulations"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain http in the test; https below
    token = browser_client.get_cookie("sim2l_web")
    assert token is not None
    assert browser_client.get("/").status_code == 200

    # The token the cookie holds is a real session at the services until logout.
    session_token = _session_token(browser_client)
    assert stack.manager.get_session(session_token).is_valid()
    logout_page = browser_client.get("/logout")
    answer = browser_client.post("/logout", data={"csrf_token": csrf_from(text_of(logout_page))})
    assert answer.status_code == 200 and "revoked" in text_of(answer)
    assert not stack.manager.get_session(session_token).is_valid()
    assert browser_client.get("/").status_code == 302


def _session_token(client) -> str:
    with client.session_transaction() as session:
        return session["token"]


def test_cookie_is_secure_over_https(web):
    client = web.test_client()
    answer = post_login(client, "ada", "ada-password-1", base_url="https://dashboard.example")
    assert answer.status_code == 302 and "Secure" in answer.headers["Set-Cookie"]


def test_wrong_password_is_refused(browser_client):
    answer = post_login(browser_client, "ada", "nope")
    assert answer.status_code == 401 and "Wrong username or password" in text_of(answer)
    assert browser_client.get("/").status_code == 302


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_forms_without_the_csrf_token_are_refused(browser_client, token):
    browser_client.get("/login")
    data = {"username": "ada", "password": "ada-password-1"}
    if token is not None:
        data["csrf_token"] = token
    answer = browser_client.post("/login", data=data)
    assert answer.status_code == 400 and "security token" in text_of(answer)


def test_next_cannot_leave_the_site(browser_client):
    answer = post_login(browser_client, "ada", "ada-password-1", "/login?next=//evil.example/x")
    assert answer.headers["Location"] == "/"


def test_a_revoked_token_signs_the_user_out(as_user, stack):
    stack.manager.invalidate_session(_session_token(as_user))
    answer = as_user.get("/simulations")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


# ------------------------------------------------------------------ security headers and assets


@pytest.mark.parametrize(
    "path", ["/", "/simulations/thermal_sim", "/simulations/thermal_sim/runs", "/cache"]
)
def test_pages_without_plots_forbid_eval_and_inline_code(as_user, path):
    answer = as_user.get(path)
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy
    assert "unsafe-inline" not in policy and "http" not in policy
    assert "<style" not in text_of(answer) and "<script>" not in text_of(answer)


def test_strict_content_security_policy_and_no_inline_code(as_user):
    answer = as_user.get("/simulations/thermal_sim/runs?x=inputs.temperature&y=outputs.max_stress")
    policy = answer.headers["Content-Security-Policy"]
    # The plots page alone allows eval (plotly.js's WebGL traces compile code).
    assert "script-src 'self' 'unsafe-eval';" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "http" not in policy
    html = text_of(answer)
    assert "<style" not in html and " style=" not in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all('src="/' in attributes for attributes in scripts)
    assert answer.headers["X-Frame-Options"] == "DENY"


def test_plotly_is_served_from_the_plotly_package(as_user):
    import importlib.resources

    shipped = importlib.resources.files("plotly").joinpath("package_data/plotly.min.js")
    with as_user.get("/assets/plotly.min.js") as answer:
        assert answer.status_code == 200 and answer.mimetype == "text/javascript"
        assert answer.data == shipped.read_bytes()
    assert as_user.get("/assets/../app.py").status_code == 404
    assert as_user.get("/assets/other.js").status_code == 404


# ------------------------------------------------------------------ overview and catalog


def test_overview_counts_latest_runs_and_failures(as_user, stack):
    html = text_of(as_user.get("/"))
    assert re.search(r'id="count-simulations">3<', html)
    assert re.search(
        r'id="count-runs">10<', html
    )  # 8 thermal, 1 picture, 1 failed (a hit is no run)
    assert not re.search(r'id="hit-rate">0.0 %', html)  # one run came from the cache
    assert stack.failed_run in html.split("Failures in the last day")[1]
    latest = html.split("Latest runs")[1].split("Failures in the last day")[0]
    assert stack.picture_run in latest


def test_catalog_search_by_text_and_tags(as_user):
    html = text_of(as_user.get("/simulations?q=thermal"))
    assert "thermal_sim" in html and "imaging_sim" not in html
    html = text_of(as_user.get("/simulations?tags=imaging"))
    assert "imaging_sim" in html and "thermal_sim" not in html
    html = text_of(as_user.get("/simulations?sort=name"))
    names = re.findall(r'<td><a href="/simulations/([a-z_]+)\?version', html)
    assert names == sorted(names) and len(names) == 3
    assert as_user.get("/simulations?sort=bogus").status_code == 400


def _walk_pages(client, url: str, pattern: str) -> tuple[list[str], list[str]]:
    """Follow "Next page" from ``url``: the ``pattern`` matches of every page, and the pages."""
    found, pages = [], []
    for _ in range(50):
        answer = client.get(url)
        assert answer.status_code == 200, text_of(answer)
        html = text_of(answer)
        pages.append(html)
        found += re.findall(pattern, html)
        following = re.search(r'id="next-page" href="([^"]+)"', html)
        if following is None:
            return found, pages
        url = following.group(1).replace("&amp;", "&")
    raise AssertionError("more than 50 pages")


SIMULATION_LINK = r'<td><a href="/simulations/([a-z_]+)\?version=([^"]+)"'


def test_catalog_pages_follow_the_services_cursor(as_user):
    whole = re.findall(SIMULATION_LINK, text_of(as_user.get("/simulations?limit=100")))
    walked, pages = _walk_pages(as_user, "/simulations?limit=1", SIMULATION_LINK)
    assert walked == whole and len(pages) == len(whole) >= 3
    assert "cursor=" in re.search(r'id="next-page" href="([^"]+)"', pages[0]).group(1)
    assert "First page" not in pages[0] and 'href="/simulations?limit=1">First page' in pages[1]
    assert "more on the next page" in pages[0] and "more on the next page" not in pages[-1]
    tagged, _ = _walk_pages(as_user, "/simulations?tags=imaging&limit=1", SIMULATION_LINK)
    assert [name for name, _ in tagged] == ["imaging_sim"]
    for bad in ("limit=101", "limit=0", "limit=ten", "cursor=not-a-cursor"):
        assert as_user.get(f"/simulations?{bad}").status_code == 400, bad


def test_simulation_page_shows_schema_units_ranges_and_statistics(as_user):
    html = text_of(as_user.get("/simulations/thermal_sim"))
    row = re.search(r"<td>temperature</td>(.*?)</tr>", html, re.S).group(1)
    assert "number" in row and "kelvin" in row and "5000" in row and "300" in row
    assert "100.0 %" in html  # success rate
    assert "Deprecate" not in html  # a user may not update the catalog


def test_deprecate_is_for_developers_only(as_user, as_developer, stack):
    page = text_of(as_developer.get("/simulations/imaging_sim"))
    assert "Deprecate 0.1.0" in page
    refused = as_user.post(
        "/simulations/imaging_sim/versions/0.1.0/deprecate",
        data={"csrf_token": csrf_from(text_of(as_user.get("/simulations")))},
    )
    assert refused.status_code == 403
    done = as_developer.post(
        "/simulations/imaging_sim/versions/0.1.0/deprecate", data={"csrf_token": csrf_from(page)}
    )
    assert done.status_code == 302
    assert "deprecated" in text_of(as_developer.get("/simulations/imaging_sim"))


# ------------------------------------------------------------------ runs explorer


def test_explorer_has_a_column_per_parameter_with_units(as_user):
    html = text_of(as_user.get("/simulations/thermal_sim/runs"))
    for header in ("inputs.temperature [kelvin]", "outputs.max_stress [pascal]", "inputs.material"):
        assert header in html
    assert len(execution_ids(html.split('id="runs"')[1])) == len(TEMPERATURES)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("p=inputs.temperature&op=gt&v=500", [t for t in TEMPERATURES if t > 500]),
        ("p=inputs.temperature&op=ge&v=500", [t for t in TEMPERATURES if t >= 500]),
        ("p=inputs.temperature&op=lt&v=400", [t for t in TEMPERATURES if t < 400]),
        ("p=inputs.temperature&op=le&v=400", [t for t in TEMPERATURES if t <= 400]),
        ("p=inputs.temperature&op=eq&v=450", [450.0]),
        ("p=inputs.temperature&op=ne&v=450", [t for t in TEMPERATURES if t != 450]),
        ("p=inputs.temperature&op=between&v=400,550", [400.0, 450.0, 500.0, 550.0]),
        ("p=inputs.temperature&op=in&v=310,650", [310.0, 650.0]),
        ("p=inputs.material&op=in&v=steel", [TEMPERATURES[i] for i in range(0, 8, 3)]),
        (
            "p=inputs.temperature&op=between&v=300,600&p=outputs.max_stress&op=gt&v=4e8",
            [500.0, 550.0, 600.0],
        ),
    ],
)
def test_every_search_operator_filters_the_table(as_user, query, expected):
    answer = as_user.get(f"/simulations/thermal_sim/runs.csv?{query}")
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(text_of(answer))))
    assert sorted(float(row["inputs.temperature [kelvin]"]) for row in rows) == sorted(expected)
    page = text_of(as_user.get(f"/simulations/thermal_sim/runs?{query}"))
    assert len(execution_ids(page.split('id="runs"')[1])) == len(expected)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("p=inputs.temperature&op=gt&v=hot", "is a number"),
        ("p=inputs.temperature&op=between&v=1", "two values"),
        ("p=inputs.nothing&op=gt&v=1", "no column inputs.nothing"),
        ("p=inputs.temperature&op=like&v=1", "unknown operator"),
        ("p=inputs.temperature&op=gt", "needs a column"),
        ("sort=outputs.nothing", "no column outputs.nothing"),
        ("limit=100000", "limit must be"),
    ],
)
def test_bad_filters_are_a_clear_400(as_user, query, message):
    answer = as_user.get(f"/simulations/thermal_sim/runs?{query}")
    assert answer.status_code == 400 and message in text_of(answer)


def test_sort_by_an_output_both_ways(as_user):
    def temperatures(sort):
        answer = as_user.get(f"/simulations/thermal_sim/runs.csv?sort={sort}")
        return [
            float(row["inputs.temperature [kelvin]"])
            for row in csv.DictReader(io.StringIO(text_of(answer)))
        ]

    ascending = temperatures("inputs.temperature")
    assert ascending == sorted(TEMPERATURES)
    assert temperatures("-inputs.temperature") == sorted(TEMPERATURES, reverse=True)
    html = text_of(as_user.get("/simulations/thermal_sim/runs?sort=-outputs.max_stress"))
    assert "outputs.max_stress [pascal] ▼" in html


def test_pages_walk_every_run_once(as_user, stack):
    seen, url = [], "/simulations/thermal_sim/runs?limit=3&sort=inputs.temperature"
    while url:
        html = text_of(as_user.get(url))
        seen += execution_ids(html.split('id="runs"')[1].split("</table>")[0])
        following = re.search(r'id="next-page" href="([^"]+)"', html)
        url = following.group(1).replace("&amp;", "&") if following else None
    assert sorted(seen) == sorted(stack.runs) and len(seen) == len(set(seen))
    html = text_of(as_user.get("/simulations/thermal_sim/runs?limit=100&sort=inputs.temperature"))
    assert seen == execution_ids(html.split('id="runs"')[1].split("</table>")[0])


def test_a_next_page_link_under_another_sort_is_a_clear_400(as_user):
    html = text_of(as_user.get("/simulations/thermal_sim/runs?limit=2&sort=inputs.temperature"))
    following = re.search(r'id="next-page" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "cursor=" in following
    answer = as_user.get(following.replace("sort=inputs.temperature", "sort=-created_at"))
    assert answer.status_code == 400 and "page link is out of date" in text_of(answer)


def test_column_chooser_and_only_varying_columns(as_user):
    html = text_of(
        as_user.get("/simulations/thermal_sim/runs?c=inputs.temperature&c=inputs.points")
    )
    table = html.split('id="runs"')[1]
    assert "inputs.temperature [kelvin]" in table and "inputs.points" in table
    assert "outputs.max_stress" not in table
    html = text_of(as_user.get("/simulations/thermal_sim/runs?varying=1"))
    table = html.split('id="runs"')[1]
    assert "inputs.temperature [kelvin]" in table
    assert "inputs.points" not in table  # every run used points=5
    assert "inputs.reference_temperature" not in table


def test_filter_state_round_trips_through_the_url(as_user):
    query = (
        "p=inputs.temperature&op=between&v=400,550&sort=-outputs.max_stress&c=inputs.temperature"
    )
    html = text_of(as_user.get(f"/simulations/thermal_sim/runs?{query}"))
    assert "inputs.temperature between 400 and 550" in html
    csv_link = re.search(r'id="csv" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "p=inputs.temperature" in csv_link and "v=400%2C550" in csv_link


def test_plot_data_is_columns_over_all_matching_runs(as_user):
    answer = as_user.get(
        "/simulations/thermal_sim/runs/data.json?p=inputs.temperature&op=ge&v=400"
        "&col=inputs.temperature&col=outputs.max_stress"
    )
    body = answer.get_json()
    assert body["count"] == len([t for t in TEMPERATURES if t >= 400])
    assert sorted(body["columns"]["inputs.temperature"]) == [t for t in TEMPERATURES if t >= 400]
    assert len(body["columns"]["outputs.max_stress"]) == body["count"]
    assert body["labels"]["outputs.max_stress"] == "outputs.max_stress [pascal]"
    assert body["source"] == "columnar"  # the results service's columnar answer


def ndjson_of(answer) -> list[dict]:
    """The lines of an NDJSON answer, parsed."""
    return [json.loads(line) for line in text_of(answer).splitlines() if line]


def columns_of(lines: list[dict]) -> dict:
    """The columns an NDJSON plot answer carries (its chunks joined), as the browser joins them."""
    joined = {key: [] for key in lines[1]["columns"]}
    for line in lines[2:-1]:
        for key, values in line["columns"].items():
            joined[key].extend(values)
    return joined


def test_plot_data_streams_the_columnar_answer_as_it_arrives(as_user):
    query = "p=inputs.temperature&op=ge&v=400&col=inputs.temperature&col=outputs.max_stress"
    answer = as_user.get(f"/simulations/thermal_sim/runs/data.ndjson?{query}")
    assert answer.status_code == 200 and answer.mimetype == "application/x-ndjson"
    lines = ndjson_of(answer)
    first, header, trailer = lines[0], lines[1], lines[-1]
    assert first["source"] == "columnar, streamed"
    assert first["labels"]["outputs.max_stress"] == "outputs.max_stress [pascal]"
    assert {"execution_id", "inputs.temperature", "outputs.max_stress"} <= set(header["columns"])
    assert header["units"]["outputs.max_stress"] == "pascal"
    assert trailer == {"count": len([t for t in TEMPERATURES if t >= 400])}
    streamed = columns_of(lines)
    # The same runs and values as the gathered JSON answer.
    gathered = as_user.get(f"/simulations/thermal_sim/runs/data.json?{query}").get_json()

    def by_run(columns):
        return {key: dict(zip(columns["execution_id"], columns[key])) for key in columns}

    assert by_run(gathered["columns"]).items() <= by_run(streamed).items()


def test_streamed_plot_data_keeps_the_status_filter(as_user):
    lines = ndjson_of(
        as_user.get("/simulations/fragile_sim/runs/data.ndjson?status=failed&col=inputs.load")
    )
    assert lines[0]["source"] == "columnar"  # gathered here: the columnar answer has no status
    assert lines[-1] == {"count": 1} and columns_of(lines)["inputs.load"] == [2.0]
    lines = ndjson_of(
        as_user.get("/simulations/fragile_sim/runs/data.ndjson?status=completed&col=inputs.load")
    )
    assert lines[-1] == {"count": 0} and columns_of(lines)["inputs.load"] == []


def test_bad_plot_filters_are_a_400_before_any_data(as_user):
    answer = as_user.get("/simulations/thermal_sim/runs/data.ndjson?p=inputs.nothing&op=eq&v=1")
    assert answer.status_code == 400 and answer.mimetype == "text/html"


def test_plot_data_keeps_the_status_filter(as_user):
    def count(status):
        url = f"/simulations/fragile_sim/runs/data.json?status={status}&col=inputs.load"
        return as_user.get(url).get_json()["count"]

    assert (count("failed"), count("completed")) == (1, 0)


def test_without_the_columnar_answer_the_search_is_paged_to_the_same_columns(stack):
    from sim2l_results_client import ResultsClient
    from sim2l_web.results_data import answer_lines
    from sim2l_web.results_data import fetch_columns

    class OlderClient(ResultsClient):
        columns = None  # a client from before the columnar answer

    wanted = ["inputs.temperature", "outputs.max_stress"]
    answers = []
    for client_class in (ResultsClient, OlderClient):
        with client_class(stack.urls["results"], session_id=stack.token("user")) as client:
            answers.append(
                fetch_columns(
                    client,
                    "thermal_sim",
                    {"temperature": {"ge": 400}},
                    {},
                    version=None,
                    columns=wanted,
                )
            )
    columnar, paged = answers
    assert (columnar["source"], paged["source"]) == ("columnar", "search pages")
    assert paged["count"] == columnar["count"] == len([t for t in TEMPERATURES if t >= 400])

    def by_run(answer):
        ids = answer["columns"]["execution_id"]
        return {key: dict(zip(ids, answer["columns"][key])) for key in wanted}

    assert by_run(paged) == by_run(columnar)

    # Sent to the browser as the columnar answer's lines, it reads back the same.
    lines = [json.loads(line) for line in answer_lines(paged)]
    assert lines[-1] == {"count": paged["count"]}
    assert columns_of([{}, *lines]) == paged["columns"]


# ------------------------------------------------------------------ one run


def test_run_page_shows_everything_about_a_run(as_user, stack):
    html = text_of(as_user.get(f"/runs/{stack.runs[0]}"))
    inputs = html.split('id="inputs"')[1].split("</table>")[0]
    assert "temperature" in inputs and "kelvin" in inputs and "310" in inputs
    assert "pascal" in html.split('id="outputs"')[1].split("</table>")[0]
    assert "profile.csv" in html and "position_m" in html  # CSV preview
    assert "steel bar at 310.00 K" in html  # the log line
    assert "wall_time" in html  # a metric
    assert "source_code" in html  # provenance
    assert 'id="environment"' in html


def test_log_level_filter(as_user, stack):
    everything = text_of(as_user.get(f"/runs/{stack.picture_run}"))
    assert "the picture is only 1 pixel" in everything
    errors_only = text_of(as_user.get(f"/runs/{stack.picture_run}?level=ERROR"))
    assert "the picture is only 1 pixel" not in errors_only
    assert as_user.get(f"/runs/{stack.picture_run}?level=LOUD").status_code == 400


def test_artifacts_download_and_image_preview(as_user, stack):
    html = text_of(as_user.get(f"/runs/{stack.picture_run}"))
    assert f'src="/runs/{stack.picture_run}/artifacts/picture.png?inline=1"' in html
    assert "drawn at size 1" in html  # text preview
    image = as_user.get(f"/runs/{stack.picture_run}/artifacts/picture.png?inline=1")
    assert image.data == PIXEL_PNG and image.mimetype == "image/png"
    download = as_user.get(f"/runs/{stack.picture_run}/artifacts/notes.txt")
    assert download.data == b"drawn at size 1\n"
    assert download.mimetype == "application/octet-stream"
    assert "attachment" in download.headers["Content-Disposition"]
    assert as_user.get(f"/runs/{stack.picture_run}/artifacts/missing.txt").status_code == 404


def test_run_file_download_is_the_registered_file(as_user, stack):
    from sim2l_results_client import ResultsClient

    answer = as_user.get(f"/runs/{stack.runs[1]}/file")
    assert answer.status_code == 200 and answer.data.startswith(b"SQLite format 3\x00")
    with ResultsClient(stack.urls["results"], session_id=stack.token("user")) as client:
        assert client.get_result(stack.runs[1])["file_size"] == len(answer.data)


@pytest.mark.parametrize("execution_id", ["no-such-run", "..", "a%2Fb"])
def test_unknown_runs_are_404(as_user, execution_id):
    assert as_user.get(f"/runs/{execution_id}").status_code == 404


# ------------------------------------------------------------------ compare


def test_compare_shows_only_differences_by_default(as_user, stack):
    ids = ",".join(stack.runs[:3])
    html = text_of(as_user.get(f"/compare?ids={ids}"))
    table = html.split('id="compare"')[1]
    assert "temperature [kelvin]" in table and "max_stress [pascal]" in table
    assert "reference_temperature" not in table  # the same in all three
    everything = text_of(as_user.get(f"/compare?ids={ids}&all=1")).split('id="compare"')[1]
    assert "reference_temperature" in everything


@pytest.mark.parametrize("count", [1, 21])
def test_compare_takes_two_to_twenty_runs(as_user, count):
    ids = ",".join(f"run-{index}" for index in range(count))
    answer = as_user.get(f"/compare?ids={ids}")
    assert answer.status_code == 400 and "2 to 20" in text_of(answer)


# ------------------------------------------------------------------ cache


CACHE_KEY = r'<td class="hash">([^<]+)</td>'


def test_cache_entries_pages_follow_the_services_cursor(as_user):
    whole = re.findall(CACHE_KEY, text_of(as_user.get("/cache?limit=500")))
    walked, pages = _walk_pages(as_user, "/cache?limit=2", CACHE_KEY)
    assert walked == whole and len(whole) >= 3 and len(pages) == -(-len(whole) // 2)
    assert 'href="/cache?limit=2">First page' in pages[1]
    named = re.findall(CACHE_KEY, text_of(as_user.get("/cache?simulation=thermal_sim&limit=500")))
    assert 0 < len(named) < len(whole)
    assert _walk_pages(as_user, "/cache?simulation=thermal_sim&limit=3", CACHE_KEY)[0] == named
    for bad in ("limit=501", "limit=x", "cursor=42"):
        assert as_user.get(f"/cache?{bad}").status_code == 400, bad


def test_cache_page_and_invalidation_for_developers(as_user, as_developer):
    html = text_of(as_user.get("/cache"))
    assert "thermal_sim" in html and 'id="invalidate"' not in html
    refused = as_user.post(
        "/cache/invalidate", data={"simulation_name": "thermal_sim", "csrf_token": csrf_from(html)}
    )
    assert refused.status_code == 403
    page = text_of(as_developer.get("/cache"))
    answer = as_developer.post(
        "/cache/invalidate",
        data={"simulation_name": "imaging_sim", "reason": "test", "csrf_token": csrf_from(page)},
        follow_redirects=True,
    )
    assert "Invalidated 1 cache entries" in text_of(answer)


# ------------------------------------------------------------------ users


def test_user_administration_is_for_admins(as_user, as_developer, as_admin):
    assert as_user.get("/admin/users").status_code == 403
    assert as_developer.get("/admin/users").status_code == 403
    assert 'href="/admin/users"' not in text_of(as_developer.get("/"))
    page = text_of(as_admin.get("/admin/users"))
    assert 'href="/admin/users"' in page and "ada" in page
    created = as_admin.post(
        "/admin/users",
        data={
            "username": "grace",
            "password": "grace-password-1",
            "role": "developer",
            "csrf_token": csrf_from(page),
        },
        follow_redirects=True,
    )
    assert "Created grace (developer)" in text_of(created)
    refused = as_developer.post(
        "/admin/users/grace/delete", data={"csrf_token": csrf_from(text_of(as_developer.get("/")))}
    )
    assert refused.status_code == 403
    deleted = as_admin.post(
        "/admin/users/grace/delete", data={"csrf_token": csrf_from(page)}, follow_redirects=True
    )
    assert "Deleted grace" in text_of(deleted)
    assert (
        "grace"
        not in text_of(as_admin.get("/admin/users")).split('id="users"')[1].split("</table>")[0]
    )


def test_a_new_user_can_sign_in(web, as_admin):
    page = text_of(as_admin.get("/admin/users"))
    as_admin.post(
        "/admin/users",
        data={
            "username": "linus",
            "password": "linus-password-1",
            "role": "user",
            "csrf_token": csrf_from(page),
        },
    )
    answer = post_login(web.test_client(), "linus", "linus-password-1")
    assert answer.status_code == 302


def test_plotly_styles_are_a_stylesheet_not_inline(as_user):
    html = text_of(as_user.get("/simulations/thermal_sim/runs?hist=outputs.max_stress"))
    link = re.search(r'<link id="plotly.js-style-global" class="no-inline-styles"[^>]*>', html)
    assert link is not None
    css = as_user.get("/assets/plotly.css")
    assert css.mimetype == "text/css"
    assert ".js-plotly-plot .plotly .modebar{" in text_of(css)
    for sheet_id in re.findall(r'<link id="([0-9a-f]{64})"', html):
        assert as_user.get(f"/assets/injected/{sheet_id}.css").status_code == 200
    assert as_user.get("/assets/injected/nothing.css").status_code == 404


def test_probes_answer_without_a_session_or_a_service(browser_client):
    assert browser_client.get("/health").get_json() == {"status": "ok"}
    assert browser_client.get("/ready").get_json() == {"status": "ready"}


def test_values_are_escaped_in_every_page(as_user, stack, tmp_path):
    from sim2l.rundb import RunDatabase
    from sim2l_results_client import ResultsClient

    hostile = '<script>alert("x")</script>'
    with RunDatabase("hostile-run-1", base_path=tmp_path) as run:
        run.initialize_run("hostile_sim", "1.0.0", capture_environment=False)
        run.save_inputs({"label": hostile, "size": 1.0})
        run.save_outputs({"note": hostile})
        run.complete_run(duration_seconds=1.0)
        path = run.path
    with ResultsClient(stack.urls["results"], session_id=stack.token("user")) as client:
        client.register_result(path)
    for page in ("/simulations/hostile_sim/runs", "/runs/hostile-run-1"):
        html = text_of(as_user.get(page))
        assert hostile not in html and "&lt;script&gt;" in html
