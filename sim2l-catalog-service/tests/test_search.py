"""Search: free text, tags (all must match), status, ranking, and pagination that combine."""

import pytest

TOPICS = ["thermal", "fluid", "stress", "quantum"]
DOMAINS = ["physics", "chemistry"]


@pytest.fixture
def catalog(developer):
    """48 versions: 12 names x 4 versions, tags from two vocabularies."""
    expected = []
    for number in range(12):
        topic = TOPICS[number % 4]
        domain = DOMAINS[number % 2]
        name = f"{topic}_model_{number}"
        for minor in range(4):
            tags = [topic, domain] + (["gpu"] if minor % 2 else [])
            developer.register_simulation(
                name=name,
                version=f"1.{minor}.0",
                description=f"A {topic} model for {domain} number {number}",
                tags=tags,
            )
            expected.append({"name": name, "version": f"1.{minor}.0", "tags": tags})
    return expected


def _pages(client, page_size, **filters):
    results, cursor = [], None
    while True:
        page = client.search_page(limit=page_size, cursor=cursor, **filters)
        assert len(page["items"]) <= page_size
        results.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return results, len(results)


@pytest.mark.parametrize("page_size", [1, 5, 7, 100])
def test_tags_and_text_with_pagination_recall_everything_once(catalog, developer, page_size):
    # "fluid" items are numbers 1, 5, 9: all chemistry. Of those, odd minors carry "gpu".
    expected = {
        (e["name"], e["version"])
        for e in catalog
        if "fluid" in e["tags"] and "chemistry" in e["tags"] and "gpu" in e["tags"]
    }
    results, total = _pages(developer, page_size, query="fluid", tags=["chemistry", "GPU"])
    found = [(r["name"], r["version"]) for r in results]
    assert total == len(expected) == 6
    assert len(found) == len(set(found))
    assert set(found) == expected


@pytest.mark.parametrize("page_size", [3, 10])
def test_tag_filter_alone_with_pagination(catalog, developer, page_size):
    expected = {(e["name"], e["version"]) for e in catalog if "chemistry" in e["tags"]}
    results, total = _pages(developer, page_size, tags=["chemistry"])
    assert total == len(expected) == 24
    assert {(r["name"], r["version"]) for r in results} == expected
    assert len(results) == 24


def test_all_tags_must_match(catalog, developer):
    assert developer.search(tags=["thermal", "chemistry"]) == []
    assert len(developer.search_page(tags=["thermal", "physics"])["items"]) == 12
    assert developer.search_page(tags=["thermal", "physics", "nope"])["items"] == []


def test_every_word_of_the_query_must_match(catalog, developer):
    page = developer.search_page(query="quantum number 3", limit=100)
    assert {r["name"] for r in page["items"]} == {"quantum_model_3"}
    assert len(page["items"]) == 4 and page["next_cursor"] is None


def test_ranking_exact_then_prefix_then_contains_then_other(developer):
    developer.register_simulation(name="heat", version="1.0.0", description="exact")
    developer.register_simulation(name="heatwave", version="1.0.0", description="prefix")
    developer.register_simulation(name="superheat", version="1.0.0", description="contains")
    developer.register_simulation(name="boiler", version="1.0.0", description="uses heat")
    developer.register_simulation(name="kettle", version="1.0.0", tags=["heat"])
    developer.register_simulation(name="cold", version="1.0.0", description="unrelated")
    names = [r["name"] for r in developer.search(query="Heat")]
    assert names[:3] == ["heat", "heatwave", "superheat"]
    # Other matches: newest first.
    assert names[3:] == ["kettle", "boiler"]


def test_wildcards_in_the_query_are_literal(developer):
    developer.register_simulation(name="plain", version="1.0.0", description="fifty percent")
    developer.register_simulation(name="odd", version="1.0.0", description="50% off_peak")
    assert [r["name"] for r in developer.search(query="%")] == ["odd"]
    assert [r["name"] for r in developer.search(query="f_p")] == ["odd"]
    assert developer.search(query="!") == []


def test_tags_in_the_query_string_may_be_comma_separated(catalog, http, tokens):
    response = http("GET", "/simulations?tags=fluid,gpu&limit=100", token=tokens["user"])
    assert response.status_code == 200
    assert len(response.json()["items"]) == 6


def test_search_results_carry_the_summary_fields(catalog, developer):
    result = developer.search(query="thermal_model_0", limit=1)[0]
    assert set(result) == {
        "id",
        "name",
        "version",
        "description",
        "tags",
        "status",
        "created_at",
        "updated_at",
    }


@pytest.mark.parametrize(
    "query",
    ['"', '""hot""', "AND OR NOT", "*", "hot*", "a:b", "(x", "NEAR(hot cold)", "^hot", "-hot", "'"],
)
def test_query_syntax_of_the_index_is_plain_text(developer, query):
    developer.register_simulation(name="kettle", version="1.0.0", description='say "hot" (x) a:b')
    page = developer.search_page(query=query)
    expected = all(term in 'kettle say "hot" (x) a:b' for term in query.lower().split())
    assert len(page["items"]) == (1 if expected else 0)


def test_short_and_long_terms_together(developer):
    developer.register_simulation(name="odd", version="1.0.0", description="50% off_peak")
    developer.register_simulation(name="even", version="1.0.0", description="50 percent")
    assert [r["name"] for r in developer.search(query="50% peak")] == ["odd"]
    assert {r["name"] for r in developer.search(query="50 ")} == {"odd", "even"}
