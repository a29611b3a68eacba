"""The dashboard's speed over many registered runs of one simulation.

The three services and the dashboard run under gunicorn on 127.0.0.1 (SQLite;
PostgreSQL too when a server answers and ``SIM2L_BENCH_WEB_POSTGRES=1``).
``RUNS`` runs of ``bench_sim`` (20 inputs, 20 outputs) are put in place with
the results service benchmark's bulk loader (the rows registration writes;
uploading 100,000 run files would take far longer than a benchmark may), and
``bench_sim`` is registered in the catalog through its client. Then, through
HTTP, signed in like a browser:

- the runs page (first page, 100 rows, two fresh random range filters per
  request) p50/p95, against the results service's own search with the same
  filters (the page's cost over the data it shows);
- a later page (following "Next page" ten pages deep) p95, against the first,
  and against the results service's own search of the same pages;
- the scatter's data for all runs (three columns of every run, streamed as
  the browser reads it), against the same for the ~100 runs MLflow's chart
  view draws per load, and against the results service's own columnar
  answer read raw (what the dashboard adds); the gathered ``data.json``
  against ``ResultsClient.columns``;
- in headless Chromium, the page with the scatter of all runs drawn, against
  the same page over ~100 runs.

With ``SIM2L_BENCH_WEB_AGAINST=<a sim2l-web src folder>`` (another revision's
``sim2l-web/src``, from ``git archive``), a second dashboard runs that code in
front of the same services and the figures above are measured on both with
their requests interleaved: the ratios are this tree's against that revision's.

Benchmarks measure; they never assert. ``SIM2L_BENCH_WEB_RUNS`` changes the count.
"""

import json
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from sim2l_service_kit.testing.benchmarking import GunicornServer
from sim2l_service_kit.testing.benchmarking import report
from sim2l_service_kit.testing.benchmarking import scratch_postgres_database
from sim2l_sessions.manager import SessionManager

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from browser_support import CHROMIUM  # noqa: E402
from browser_support import CHROMIUM_FLAGS  # noqa: E402
from browser_support import why_no_browser  # noqa: E402
from bulk_runs import SIMULATION  # noqa: E402
from bulk_runs import load_runs  # noqa: E402

RUNS = int(os.environ.get("SIM2L_BENCH_WEB_RUNS", "100000"))
SAMPLES = 40
SLOW_MS = 10_000  # a figure this slow is measured once, not three times
PASSWORD = "bench-password-1"
SERVICE_APPS = {
    "cache": "sim2l_cache_service.app:create_app()",
    "catalog": "sim2l_catalog_service.app:create_app()",
    "results": "sim2l_results_service.app:create_app()",
}
SCATTER = "x=inputs.temperature&y=outputs.max_stress&color=inputs.in_00"
# temperature is uniform on [0, 1000]: a 1-wide band holds ~100 of 100,000 runs.
HUNDRED_RUNS = "p=inputs.temperature&op=between&v=500,{high}"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def migrate(service: str, url: str, env: dict) -> None:
    command = Path(sys.executable).with_name(f"sim2l-{service}-service")
    subprocess.run(
        [str(command), "migrate", "--db-url", url],
        env=env,
        check=True,
        capture_output=True,
    )


def range_filters(rng: random.Random) -> str:
    """Two range filters, as the explorer's URL carries them."""
    low = rng.uniform(0, 800)
    stress = rng.uniform(1.0e8, 2.0e8)
    return (
        f"p=inputs.temperature&op=between&v={low:.3f},{low + 150:.3f}"
        f"&p=outputs.max_stress&op=gt&v={stress:.0f}"
    )


def signed_in(web_url: str, username: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(web_url + "/login", timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = browser.post(
        web_url + "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in failed: {answer.status_code} {answer.text[:300]}")
    return browser


def timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    answer = call()
    return (time.perf_counter() - started) * 1000, answer


def bench_runs_page(label: str, web_url: str, results_url: str, browser, token: str) -> None:
    from sim2l_results_client import ResultsClient

    rng = random.Random(11)
    page_ms, search_ms, rows = [], [], []
    with ResultsClient(results_url, session_id=token) as results:
        for _ in range(SAMPLES):
            query = range_filters(rng)
            elapsed, answer = timed(
                lambda q=query: browser.get(f"{web_url}/simulations/{SIMULATION}/runs?{q}")
            )
            answer.raise_for_status()
            page_ms.append(elapsed)
            rows.append(answer.text.count('name="ids"'))
            low, high = (float(v) for v in query.split("v=")[1].split("&")[0].split(","))
            stress = float(query.rsplit("v=", 1)[1])
            elapsed, _ = timed(
                lambda lo=low, hi=high, st=stress: results.search_page(
                    SIMULATION,
                    {"temperature": {"between": [lo, hi]}},
                    {"max_stress": {"gt": st}},
                    limit=100,
                )
            )
            search_ms.append(elapsed)
    log(f"{label}: runs page rows per page {min(rows)}-{max(rows)}")
    baseline = percentile(search_ms, 0.95)
    report(
        f"web {label}: runs page p50 (100 rows, 2 range filters)", percentile(page_ms, 0.5), "ms"
    )
    report(
        f"web {label}: runs page p95 (100 rows, 2 range filters)",
        percentile(page_ms, 0.95),
        "ms",
        baseline,
        "results search p95, same filters",
    )


def bench_later_page(label: str, web_url: str, browser, results_url: str, token: str) -> None:
    from sim2l_results_client import ResultsClient

    rng = random.Random(5)
    first, later, shallow, searched = [], [], [], []
    with ResultsClient(results_url, session_id=token) as results:
        for _ in range(4):
            low = rng.uniform(0, 300)
            times = pages_ms(browser, web_url, low)
            first.append(times[0])
            later += times[1:]
            shallow += times[1:9]
            cursor = None  # the results service's own search of those pages, by cursor
            for depth in range(len(times)):
                elapsed, page = timed(
                    lambda lo=low, c=cursor: results.search_page(
                        SIMULATION, {"temperature": {"gt": round(lo, 2)}}, cursor=c
                    )
                )
                if depth:
                    searched.append(elapsed)
                cursor = page["next_cursor"]
                if cursor is None:
                    break
    report(
        f"web {label}: a later page p95 (pages 2-11, 100 rows, 1 range filter)",
        percentile(later, 0.95),
        "ms",
        percentile(first, 0.95),
        "first page p95",
    )
    report(
        f"web {label}: a later page p95 (pages 2-11), against the results search of those pages",
        percentile(later, 0.95),
        "ms",
        percentile(searched, 0.95),
        "results search p95, same filter and pages (by cursor)",
    )
    report(
        f"web {label}: a later page p95 (pages 2-9)",
        percentile(shallow, 0.95),
        "ms",
        percentile(first, 0.95),
        "first page p95",
    )


def ndjson_summary(body: bytes) -> tuple[int, str]:
    """``(count, source)`` of a streamed plot answer (data.ndjson)."""
    lines = [json.loads(line) for line in body.splitlines() if line]
    return lines[-1]["count"], lines[0]["source"]


def bench_scatter_data(label: str, web_url: str, browser, results_url: str, token: str) -> None:
    import requests
    from sim2l_results_client import ResultsClient

    columns = "&col=inputs.temperature&col=outputs.max_stress&col=inputs.in_00"
    plot = f"{web_url}/simulations/{SIMULATION}/runs/data"
    hundred = HUNDRED_RUNS.format(high=500 + 1000 * 100 / RUNS)
    wanted = ["execution_id", "inputs.temperature", "outputs.max_stress", "inputs.in_00"]
    timings = {"stream": [], "few": [], "raw": [], "json": [], "client": []}
    size, count, source, few_count = 0, 0, "", 0
    with ResultsClient(results_url, session_id=token) as results:
        for _ in range(3):
            if timings["stream"] and timings["stream"][0] > SLOW_MS:
                break  # the slow path: one measurement says enough
            # What the browser reads: the streamed answer (plots.js).
            elapsed, answer = timed(lambda: browser.get(f"{plot}.ndjson?{SCATTER}{columns}"))
            answer.raise_for_status()
            timings["stream"].append(elapsed)
            size = len(answer.content)
            count, source = ndjson_summary(answer.content)
            few_url = f"{plot}.ndjson?{hundred}&{SCATTER}{columns}"
            elapsed, answer = timed(lambda u=few_url: browser.get(u))
            timings["few"].append(elapsed)
            few_count = ndjson_summary(answer.content)[0]
            # The results service's own columnar answer, its bytes read, nothing parsed.
            elapsed, _ = timed(
                lambda: (
                    requests.post(
                        f"{results_url}/results/columns",
                        json={"simulation_name": SIMULATION, "columns": wanted},
                        headers={"X-Session-ID": token},
                        timeout=120,
                    ).content
                )
            )
            timings["raw"].append(elapsed)
            # The gathered JSON answer, against the client gathering the same.
            timings["json"].append(timed(lambda: browser.get(f"{plot}.json?{SCATTER}{columns}"))[0])
            timings["client"].append(timed(lambda: results.columns(SIMULATION, columns=wanted))[0])
    log(
        f"{label}: scatter data {count:,} runs, {size / 1e6:.1f} MB, from {source}; "
        f"baseline {few_count} runs"
    )
    median = {key: statistics.median(values) for key, values in timings.items()}
    report(
        f"web {label}: scatter data for all {count:,} runs to the browser ({source}, "
        f"median of {len(timings['stream'])})",
        median["stream"],
        "ms",
        median["few"],
        f"the same for {few_count} runs (MLflow's chart: 100 runs per load)",
    )
    report(
        f"web {label}: scatter data for all {count:,} runs, the dashboard's stream over the "
        "results service's own columnar answer",
        median["stream"],
        "ms",
        median["raw"],
        "POST /results/columns, same columns, bytes read unparsed, no dashboard",
    )
    report(
        f"web {label}: scatter data for all {count:,} runs gathered as one JSON (data.json)",
        median["json"],
        "ms",
        median["client"],
        "ResultsClient.columns, same columns, no dashboard",
    )


def chromium_page(browser, web_url: str):
    """A page of its own browser context, signed in to the dashboard at ``web_url``."""
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(web_url + "/login")
    page.get_by_label("Username").fill("bench")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/$"))
    return page


def drawn_ms(page, web_url: str, query: str) -> tuple[float, int]:
    """``(ms, points)``: the runs page with ``query`` opened until its plots are drawn."""
    started = time.perf_counter()
    page.goto(f"{web_url}/simulations/{SIMULATION}/runs?{query}")
    page.wait_for_selector("#plots[data-ready='1']", timeout=120_000)
    elapsed = (time.perf_counter() - started) * 1000
    points = page.get_attribute("#scatter", "data-points")
    if points is None:  # a revision from before data-points: its one trace
        points = page.evaluate("document.getElementById('scatter').data[0].x.length")
    return elapsed, int(points)


def bench_drawn_scatter(label: str, web_url: str) -> None:
    reason = why_no_browser()
    if reason:
        log(f"{label}: Chromium figure skipped: {reason}")
        return
    from playwright.sync_api import sync_playwright

    hundred = HUNDRED_RUNS.format(high=500 + 1000 * 100 / RUNS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = chromium_page(browser, web_url)

        def ready_ms(query: str) -> tuple[float, int]:
            return drawn_ms(page, web_url, query)

        warm = ready_ms(SCATTER)  # warm the browser cache (plotly.min.js is 4.8 MB)
        full = [warm] if warm[0] > SLOW_MS else [ready_ms(SCATTER) for _ in range(3)]
        few = [ready_ms(f"{hundred}&{SCATTER}") for _ in range(3)]
        shot = Path(tempfile.gettempdir()) / f"sim2l-web-bench-scatter-{label}.png"
        if warm[0] <= SLOW_MS:
            ready_ms(SCATTER)
        page.locator("#plots").screenshot(path=str(shot))
        log(f"{label}: screenshot of the drawn scatter: {shot}")
        browser.close()
    report(
        f"web {label}: page with the scatter of all {full[0][1]:,} runs drawn, headless Chromium "
        f"(median of {len(full)})",
        statistics.median(ms for ms, _ in full),
        "ms",
        statistics.median(ms for ms, _ in few),
        f"the same page over {few[0][1]} runs",
    )


def pages_ms(browser, web_url: str, low: float) -> list[float]:
    """Times of pages 1-11 of the runs with ``temperature > low``, following "Next page"."""
    url = f"{web_url}/simulations/{SIMULATION}/runs?p=inputs.temperature&op=gt&v={low:.2f}"
    times = []
    for _ in range(11):
        elapsed, answer = timed(lambda u=url: browser.get(u))
        answer.raise_for_status()
        times.append(elapsed)
        following = re.search(r'id="next-page" href="([^"]+)"', answer.text)
        if following is None:
            break
        url = web_url + following.group(1).replace("&amp;", "&")
    return times


def plot_data_ms(browser, web_url: str) -> float:
    """The scatter's data for all runs as the revision's page reads it (streamed, else JSON)."""
    columns = "&col=inputs.temperature&col=outputs.max_stress&col=inputs.in_00"
    base = f"{web_url}/simulations/{SIMULATION}/runs/data"
    elapsed, answer = timed(lambda: browser.get(f"{base}.ndjson?{SCATTER}{columns}"))
    if answer.status_code == 404:  # a revision from before the stream
        elapsed, answer = timed(lambda: browser.get(f"{base}.json?{SCATTER}{columns}"))
    answer.raise_for_status()
    return elapsed


def bench_against_revision(label: str, web_url: str, other_url: str, other: str) -> None:
    """This tree's dashboard against another revision's, same services, requests interleaved.

    On a shared, loaded machine two runs of the benchmark differ by more than
    a change does; interleaving the two dashboards' requests puts both under
    the same load, so the ratio is the change's.
    """
    browsers = {"this": signed_in(web_url, "bench"), "other": signed_in(other_url, "bench")}
    urls = {"this": web_url, "other": other_url}
    pages = {key: [] for key in urls}
    later = {key: [] for key in urls}
    data = {key: [] for key in urls}
    rng = random.Random(17)
    for _ in range(SAMPLES):
        query = range_filters(rng)
        for key in urls:
            page_url = f"{urls[key]}/simulations/{SIMULATION}/runs?{query}"
            elapsed, answer = timed(lambda k=key, u=page_url: browsers[k].get(u))
            answer.raise_for_status()
            pages[key].append(elapsed)
    for _ in range(3):
        low = rng.uniform(0, 300)
        for key in urls:
            later[key] += pages_ms(browsers[key], urls[key], low)[1:]
            data[key].append(plot_data_ms(browsers[key], urls[key]))
    against = f"the dashboard at {other}, same requests interleaved"
    for figure, values in (
        ("runs page p95 (100 rows, 2 range filters)", pages),
        ("a later page p95 (pages 2-11)", later),
    ):
        report(
            f"web {label}: {figure}, this tree",
            percentile(values["this"], 0.95),
            "ms",
            percentile(values["other"], 0.95),
            against,
        )
    report(
        f"web {label}: scatter data for all runs as the page reads it (median), this tree",
        statistics.median(data["this"]),
        "ms",
        statistics.median(data["other"]),
        against,
    )
    if why_no_browser():
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        tabs = {key: chromium_page(chromium, url) for key, url in urls.items()}
        drawn = {key: [] for key in urls}
        for round_ in range(4):
            for key, tab in tabs.items():
                elapsed = drawn_ms(tab, urls[key], SCATTER)[0]
                if round_:  # the first loads plotly.min.js into the cache
                    drawn[key].append(elapsed)
        chromium.close()
    report(
        f"web {label}: page with the scatter of all runs drawn (median of 3), this tree",
        statistics.median(drawn["this"]),
        "ms",
        statistics.median(drawn["other"]),
        against,
    )


def bench_backend(label: str, database_urls: dict, home: Path) -> None:
    env = {"SIM2L_HOME": str(home), "SIM2L_SECRET_KEY": os.environ["SIM2L_SECRET_KEY"]}
    for service, url in database_urls.items():
        env[f"SIM2L_{service.upper()}_DATABASE_URL"] = url
        migrate(service, url, {**os.environ, **env})
    env["SIM2L_RESULTS_STORAGE_DIR"] = str(home / f"files-{label}")
    token = SessionManager().create_session("bench", "developer", ttl_hours=2).session_id
    servers = {name: GunicornServer(app, env=env) for name, app in SERVICE_APPS.items()}
    try:
        for server in servers.values():
            server.start()
        started = time.perf_counter()
        load_runs(database_urls["results"], servers["catalog"].url, token, RUNS)
        log(
            f"{label}: loaded {RUNS:,} runs (40 values each) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        web_env = {
            **env,
            "SIM2L_CACHE_SERVICE_URL": servers["cache"].url,
            "SIM2L_CATALOG_SERVICE_URL": servers["catalog"].url,
            "SIM2L_RESULTS_SERVICE_URL": servers["results"].url,
        }
        with GunicornServer(
            "sim2l_web.app:create_app()", env=web_env, workers=2, worker_class="gthread"
        ) as web:
            browser = signed_in(web.url, "bench")
            bench_runs_page(label, web.url, servers["results"].url, browser, token)
            bench_later_page(label, web.url, browser, servers["results"].url, token)
            bench_scatter_data(label, web.url, browser, servers["results"].url, token)
            bench_drawn_scatter(label, web.url)
            other = os.environ.get("SIM2L_BENCH_WEB_AGAINST")
            if other:
                with GunicornServer(
                    "sim2l_web.app:create_app()",
                    env={**web_env, "PYTHONPATH": other},
                    workers=2,
                    worker_class="gthread",
                ) as other_web:
                    bench_against_revision(label, web.url, other_web.url, other)
    finally:
        for server in servers.values():
            server.stop()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="sim2l-web-bench-") as name:
        home = Path(name)
        os.environ["SIM2L_HOME"] = str(home)
        os.environ.setdefault("SIM2L_SECRET_KEY", secrets.token_hex(32))
        SessionManager().create_user("bench", PASSWORD, "developer")
        sqlite = {name: f"sqlite:///{home / (name + '.db')}" for name in SERVICE_APPS}
        bench_backend("sqlite", sqlite, home)
        if os.environ.get("SIM2L_BENCH_WEB_POSTGRES") == "1":
            with scratch_postgres_database("sim2l_bench_web") as url:
                if url is not None:
                    bench_backend("postgresql", dict.fromkeys(SERVICE_APPS, url), home)


if __name__ == "__main__":
    main()
