"""Registration, idempotent re-registration, versions, latest, update and deprecation."""

import pytest
from conftest import THERMAL
from sim2l_catalog_client import ConflictError
from sim2l_catalog_client import NotFoundError


def test_register_returns_the_full_record(developer):
    record = developer.register_simulation(**THERMAL, authors=["Ann"], metadata={"repo": "x"})
    assert record["created"] is True
    assert record["name"] == "thermal_sim" and record["version"] == "1.0.0"
    assert record["tags"] == ["thermal", "physics"]
    assert record["authors"] == ["Ann"]
    assert record["schema"] == THERMAL["schema"]
    assert record["metadata"] == {"repo": "x"}
    assert record["status"] == "active"
    assert record["registered_by"] == "dev"
    assert record["created_at"].endswith("Z")


def test_identical_registration_returns_the_stored_record(developer):
    first = developer.register_simulation(**THERMAL)
    again = developer.register_simulation(**THERMAL)
    assert again["created"] is False
    assert again["id"] == first["id"]
    assert len(developer.list_versions("thermal_sim")) == 1


def test_tags_are_deduplicated_and_identity_ignores_that(developer):
    first = developer.register_simulation(**{**THERMAL, "tags": ["thermal", "physics", "Thermal"]})
    assert first["tags"] == ["thermal", "physics"]
    assert developer.register_simulation(**THERMAL)["created"] is False


def test_different_content_is_a_conflict(developer):
    developer.register_simulation(**THERMAL)
    with pytest.raises(ConflictError) as caught:
        developer.register_simulation(**{**THERMAL, "description": "Something else"})
    assert caught.value.details["differing_fields"] == ["description"]
    assert developer.get_simulation("thermal_sim")["description"] == "Thermal stress analysis"


def test_semantic_version_order_and_latest(developer):
    for version in ["1.9.0", "1.10.0", "1.2.0", "2.0.0-rc.1", "1.10.0-beta"]:
        developer.register_simulation(name="solver", version=version)
    versions = [v["version"] for v in developer.list_versions("solver")]
    assert versions == ["2.0.0-rc.1", "1.10.0", "1.10.0-beta", "1.9.0", "1.2.0"]
    assert developer.get_simulation("solver")["version"] == "2.0.0-rc.1"
    developer.deprecate_simulation("solver", "2.0.0-rc.1")
    # The latest is the highest active version.
    assert developer.get_simulation("solver")["version"] == "1.10.0"
    for version in ["1.10.0", "1.10.0-beta", "1.9.0", "1.2.0"]:
        developer.deprecate_simulation("solver", version)
    # All deprecated: the highest one.
    assert developer.get_simulation("solver")["version"] == "2.0.0-rc.1"


def test_list_versions_paginates(developer):
    for minor in range(7):
        developer.register_simulation(name="paged", version=f"1.{minor}.0")
    pages, cursor = [], None
    while True:
        page = developer.versions_page("paged", limit=3, cursor=cursor)
        pages.append([v["version"] for v in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [["1.6.0", "1.5.0", "1.4.0"], ["1.3.0", "1.2.0", "1.1.0"], ["1.0.0"]]
    assert [v["version"] for v in developer.list_versions("paged")] == [
        f"1.{minor}.0" for minor in range(6, -1, -1)
    ]
    assert [v["version"] for v in developer.list_versions("paged", limit=2)] == ["1.6.0", "1.5.0"]


def test_get_by_name_version_and_id(developer, thermal):
    assert developer.get_simulation("thermal_sim", "1.0.0")["id"] == thermal["id"]
    assert developer.get_simulation_by_id(thermal["id"])["name"] == "thermal_sim"
    with pytest.raises(NotFoundError):
        developer.get_simulation("thermal_sim", "1.0.1")
    with pytest.raises(NotFoundError):
        developer.get_simulation("missing_sim")
    with pytest.raises(NotFoundError):
        developer.list_versions("missing_sim")


def test_update_changes_content_and_search_follows(developer, thermal):
    updated = developer.update_simulation(
        "thermal_sim", "1.0.0", description="Heat flow", tags=["heat"], authors=["Bo"]
    )
    assert updated["description"] == "Heat flow"
    assert updated["tags"] == ["heat"]
    assert updated["authors"] == ["Bo"]
    assert updated["schema"] == THERMAL["schema"]
    assert updated["updated_by"] == "dev"
    assert developer.search(tags=["physics"]) == []
    assert [s["name"] for s in developer.search(query="heat", tags=["heat"])] == ["thermal_sim"]
    # Re-registering the original content now conflicts; the updated content is identical.
    with pytest.raises(ConflictError):
        developer.register_simulation(**THERMAL)
    same = developer.register_simulation(
        name="thermal_sim",
        version="1.0.0",
        description="Heat flow",
        tags=["heat"],
        authors=["Bo"],
        schema=THERMAL["schema"],
    )
    assert same["created"] is False


def test_deprecate_is_idempotent_and_status_filters(developer, thermal):
    developer.register_simulation(**{**THERMAL, "version": "1.1.0"})
    first = developer.deprecate_simulation("thermal_sim", "1.0.0")
    again = developer.deprecate_simulation("thermal_sim", "1.0.0")
    assert first["status"] == again["status"] == "deprecated"
    active = developer.search(query="thermal", status="active")
    deprecated = developer.search(query="thermal", status="deprecated")
    assert [s["version"] for s in active] == ["1.1.0"]
    assert [s["version"] for s in deprecated] == ["1.0.0"]
    reactivated = developer.update_simulation("thermal_sim", "1.0.0", status="active")
    assert reactivated["status"] == "active"


def test_names_and_versions_with_dots_and_build_metadata(developer):
    record = developer.register_simulation(name="pkg.tool-x", version="1.0.0+build.7")
    assert developer.get_simulation("pkg.tool-x", "1.0.0+build.7")["id"] == record["id"]


def test_equal_values_in_other_json_spellings_are_identical(developer):
    schema = {"inputs": {"t": {"type": "number", "default": 1}}}
    first = developer.register_simulation(name="numeric", version="1.0.0", schema=schema)
    again = developer.register_simulation(
        name="numeric",
        version="1.0.0",
        schema={"inputs": {"t": {"default": 1.0, "type": "number"}}},
    )
    assert again["created"] is False and again["id"] == first["id"]
