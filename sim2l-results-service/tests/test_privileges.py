"""The privilege matrix over the route table: 401 without or with a forged token, 403 per role."""

import pytest
import requests
from runfiles import make_run
from sim2l_service_kit import route_privileges
from sim2l_service_kit.testing.privileges import check_privilege_matrix

# One concrete request per route; a new route without an entry fails the test.
REQUESTS = {
    ("GET", "/health"): {},
    ("GET", "/ready"): {},
    ("GET", "/metrics"): {},
    ("GET", "/openapi.json"): {},
    ("GET", "/docs"): {},
    ("GET", "/docs/<asset>"): {},
    ("POST", "/sessions"): {"json": {"anonymous": True}},
    ("GET", "/sessions/current"): {},
    ("DELETE", "/sessions/current"): {},
    ("DELETE", "/sessions"): {},
    ("GET", "/users"): {},
    ("POST", "/users"): {"json": {}},
    ("DELETE", "/users/<username>"): {},
    ("PUT", "/users/<username>/password"): {"json": {}},
    ("PUT", "/users/<username>/role"): {"json": {}},
    ("DELETE", "/users/<username>/sessions"): {},
    ("POST", "/results"): {"upload": True},
    ("GET", "/results"): {"params": {"simulation_name": "thermal_sim"}},
    ("POST", "/results/search"): {"json": {"simulation_name": "thermal_sim"}},
    ("POST", "/results/columns"): {"json": {"simulation_name": "thermal_sim"}},
    ("GET", "/results/<execution:execution_id>"): {},
    ("GET", "/results/<execution:execution_id>/file"): {},
    ("DELETE", "/results/<execution:execution_id>"): {},
    ("POST", "/parameters/stats"): {"json": {"simulation_name": "thermal_sim", "param_name": "y"}},
    ("GET", "/parameters/distinct"): {
        "params": {"simulation_name": "thermal_sim", "param_name": "x"}
    },
    ("GET", "/parameters/schemas"): {"params": {"simulation_name": "thermal_sim"}},
}


def test_every_route_declares_what_it_needs(app):
    table = route_privileges(app)
    assert [route for route, need in table.items() if need is None] == []
    assert set(table) == set(REQUESTS)


def test_privilege_matrix(app, url, manager, tmp_path):
    run_file = make_run(tmp_path, "run-matrix", {"x": 1}, {"y": 2})

    def call(method, rule, token):
        spec = REQUESTS[(method, rule)]
        path = rule.replace("<execution:execution_id>", "run-matrix").replace(
            "<username>", "nobody"
        )
        headers = {"X-Session-ID": token} if token else {}
        kwargs = {key: value for key, value in spec.items() if key != "upload"}
        if spec.get("upload"):
            headers["Content-Type"] = "application/vnd.sqlite3"
            kwargs["data"] = run_file.read_bytes()
        return requests.request(method, url + path, headers=headers, timeout=30, **kwargs)

    def put_back(method, rule, answer):
        if (method, rule) == ("DELETE", "/results/<execution_id>") and answer.status_code == 200:
            admin = manager.create_session("admin-user", "admin").session_id
            assert call("POST", "/results", admin).status_code == 201  # for the next role

    assert check_privilege_matrix(app, url, manager, call, after=put_back) == 9 * len(REQUESTS)


@pytest.mark.parametrize(
    "role,can_delete", [("user", False), ("developer", False), ("admin", True)]
)
def test_roles_through_the_client(url, manager, tmp_path, role, can_delete):
    from sim2l_results_client import ForbiddenError
    from sim2l_results_client import ResultsClient

    client = ResultsClient(url, session_id=manager.create_session(f"{role}-1", role).session_id)
    client.register_result(make_run(tmp_path, "run-role", {"x": 1}, {"y": 2}))
    assert client.get_result("run-role")["execution_id"] == "run-role"
    if can_delete:
        assert client.delete_result("run-role") is True
    else:
        with pytest.raises(ForbiddenError):
            client.delete_result("run-role")


def test_read_only_anonymous_session_cannot_register(url, manager, tmp_path):
    from sim2l_results_client import ForbiddenError
    from sim2l_results_client import ResultsClient

    reader = ResultsClient(
        url, session_id=manager.create_anonymous_session(privileges=["read_results"]).session_id
    )
    with pytest.raises(ForbiddenError):
        reader.register_result(make_run(tmp_path, "run-reader", {"x": 1}, {"y": 2}))
    assert reader.search(simulation_name="thermal_sim") == []
