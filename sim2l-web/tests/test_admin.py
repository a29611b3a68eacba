"""Route tests of ``/admin/users``: changing roles and ending sessions (both backends).

The users are real users of the services' shared sessions store; the
dashboard reaches them only through the services' ``/users`` routes.
"""

import pytest
from conftest import csrf_from
from conftest import post_login
from conftest import text_of


def _new_user(stack, username: str, role: str = "user") -> str:
    """Create ``username`` in the services' store; its password."""
    password = f"{username}-password-1"
    stack.manager.create_user(username, password, role)
    return password


def _signed_in(web, username: str, password: str):
    client = web.test_client()
    answer = post_login(client, username, password)
    assert answer.status_code == 302, text_of(answer)
    return client


def _admin_post(as_admin, path: str, **fields):
    """Send an admin form of the users page, its CSRF token included, following the redirect."""
    token = csrf_from(text_of(as_admin.get("/admin/users")))
    return as_admin.post(path, data={"csrf_token": token, **fields}, follow_redirects=True)


def _row_of(html: str, username: str) -> str:
    start = html.index(f'<tr data-username="{username}">')
    return html[start : html.index("</tr>", start)]


def _goes_to_sign_in(answer) -> bool:
    return answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_the_users_page_offers_role_and_session_actions_for_others_only(as_admin):
    page = text_of(as_admin.get("/admin/users"))
    ada = _row_of(page, "ada")
    assert 'action="/admin/users/ada/role"' in ada
    assert '<option value="user" selected>' in ada
    assert 'action="/admin/users/ada/sessions/revoke"' in ada
    # The admin's own row: no way to demote or sign out themselves by accident here.
    root = _row_of(page, "root")
    assert "/role" not in root and "/sessions/revoke" not in root


def test_a_changed_role_is_what_the_users_next_sign_in_gets(web, stack, as_admin):
    password = _new_user(stack, "hedy")
    hedy = _signed_in(web, "hedy", password)
    assert hedy.get("/admin/users").status_code == 403
    assert 'href="/admin/users"' not in text_of(hedy.get("/"))

    changed = _admin_post(as_admin, "/admin/users/hedy/role", role="admin")
    assert changed.status_code == 200
    assert "hedy is now admin" in text_of(changed)
    assert '<option value="admin" selected>' in _row_of(text_of(changed), "hedy")

    # The services ended hedy's token (it names the old role): her next page,
    # even one her cookie says she may not see, sends her to sign in.
    assert _goes_to_sign_in(hedy.get("/admin/users"))
    hedy = _signed_in(web, "hedy", password)
    assert 'href="/admin/users"' in text_of(hedy.get("/"))
    assert "hedy (admin)" in text_of(hedy.get("/admin/users"))


def test_a_demoted_admin_loses_the_users_page(web, stack, as_admin):
    password = _new_user(stack, "grete", role="admin")
    grete = _signed_in(web, "grete", password)
    assert grete.get("/admin/users").status_code == 200
    _admin_post(as_admin, "/admin/users/grete/role", role="developer")
    assert _goes_to_sign_in(grete.get("/admin/users"))
    grete = _signed_in(web, "grete", password)
    assert grete.get("/admin/users").status_code == 403
    assert "grete (developer)" in text_of(grete.get("/"))


def test_revoking_sessions_signs_the_user_out_everywhere(web, stack, as_admin):
    password = _new_user(stack, "katherine")
    laptop = _signed_in(web, "katherine", password)
    phone = _signed_in(web, "katherine", password)
    assert laptop.get("/simulations").status_code == 200

    revoked = _admin_post(as_admin, "/admin/users/katherine/sessions/revoke")
    assert "Ended every session of katherine" in text_of(revoked)
    assert _goes_to_sign_in(laptop.get("/simulations"))
    assert _goes_to_sign_in(phone.get("/"))
    # The admin's own session is untouched, and katherine may sign in again.
    assert as_admin.get("/admin/users").status_code == 200
    assert _signed_in(web, "katherine", password).get("/simulations").status_code == 200


@pytest.mark.parametrize(
    ("path", "fields", "message"),
    [
        ("/admin/users/ada/role", {"role": "emperor"}, "Could not give &#39;ada&#39; the role"),
        ("/admin/users/ada/role", {}, "Could not give &#39;ada&#39; the role &#39;&#39;"),
        ("/admin/users/nobody/role", {"role": "user"}, "nobody"),
    ],
)
def test_what_the_services_reject_is_a_message_on_the_page(as_admin, stack, path, fields, message):
    answer = _admin_post(as_admin, path, **fields)
    assert answer.status_code == 200
    page = text_of(answer)
    assert 'class="flash error"' in page and message in page
    assert "Traceback" not in page
    # Nothing changed: ada keeps her role.
    assert '<option value="user" selected>' in _row_of(page, "ada")


@pytest.mark.parametrize("path", ["/admin/users/ada/role", "/admin/users/ada/sessions/revoke"])
def test_role_and_session_actions_are_for_admins_only(web, as_user, as_developer, path):
    for client in (as_user, as_developer):
        token = csrf_from(text_of(client.get("/")))
        refused = client.post(path, data={"csrf_token": token, "role": "admin"})
        assert refused.status_code == 403
        assert "manage_users" in text_of(refused)
    # Without the form's CSRF token even an admin is refused, before the services are asked.
    admin = web.test_client()
    post_login(admin, "root", "root-password-1")
    assert admin.post(path, data={"role": "admin"}).status_code == 400


def test_the_services_refuse_a_forged_privilege(as_developer):
    # A cookie claiming manage_users (it cannot be forged without the
    # dashboard's key; the test client writes it) gets past the dashboard's
    # check, and the services still refuse: a 403 page with their message.
    with as_developer.session_transaction() as session:
        session["privileges"] = [*session["privileges"], "manage_users"]
    token = csrf_from(text_of(as_developer.get("/")))
    answer = as_developer.post("/admin/users/ada/role", data={"csrf_token": token, "role": "admin"})
    assert answer.status_code == 403
    assert "The service refused" in text_of(answer)
    assert "Traceback" not in text_of(answer)


def test_the_users_pages_follow_the_services_cursor_to_every_user(stack, as_admin):
    import re

    for number in range(101):
        stack.manager.create_user(f"member{number:03}", "pw", "user")
    everyone = sorted(user["username"] for user in stack.manager.iter_users())
    seen, path = [], "/admin/users"
    while path:
        page = text_of(as_admin.get(path))
        seen += re.findall(r'<tr data-username="([^"]+)">', page)
        following = re.search(r'<a href="(/admin/users\?cursor=[^"]+)">Next page</a>', page)
        path = following and following.group(1).replace("&amp;", "&")
    assert seen == everyone and len(seen) > 100


@pytest.mark.parametrize(
    "path", ["/admin/users", "/simulations", "/cache", "/simulations/thermal_sim/runs"]
)
def test_a_page_link_whose_cursor_the_service_refuses_is_a_clear_400(as_admin, path):
    answer = as_admin.get(path + "?cursor=garbage")
    assert answer.status_code == 400
    assert "page link is out of date" in text_of(answer)
