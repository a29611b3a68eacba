"""Privileges, roles, and how a list of either expands to privileges.

Privileges are what every endpoint checks; a role is a named set of them. The
``privileges`` argument of session creation may name roles, which expand.
"""

USER_PRIVILEGES = frozenset(
    {
        "read_cache",
        "write_cache",
        "read_catalog",
        "record_execution",
        "read_results",
        "register_result",
        "execute_simulation",
    }
)
DEVELOPER_PRIVILEGES = USER_PRIVILEGES | {
    "register_simulation",
    "update_catalog",
    "invalidate_cache",
}
ADMIN_PRIVILEGES = DEVELOPER_PRIVILEGES | {"delete_results", "manage_users", "admin_service"}

ROLES: dict[str, frozenset[str]] = {
    "user": USER_PRIVILEGES,
    "developer": frozenset(DEVELOPER_PRIVILEGES),
    "admin": frozenset(ADMIN_PRIVILEGES),
}
ALL_PRIVILEGES = frozenset(ADMIN_PRIVILEGES)
ANONYMOUS_ROLE = "anonymous"


class UnknownPrivilegeError(ValueError):
    """A name that is neither a privilege nor a role."""


def role_privileges(role: str) -> frozenset[str]:
    """The privileges of a role; an unknown role is an error that names it."""
    try:
        return ROLES[role]
    except KeyError:
        raise UnknownPrivilegeError(
            f"unknown role {role!r}; expected one of {', '.join(sorted(ROLES))}"
        ) from None


def expand_privileges(names) -> frozenset[str]:
    """Expand a list of privilege and role names into privileges."""
    if isinstance(names, str):
        names = [names]
    expanded = set()
    for name in names:
        if name in ROLES:
            expanded |= ROLES[name]
        elif name in ALL_PRIVILEGES:
            expanded.add(name)
        else:
            raise UnknownPrivilegeError(f"unknown privilege or role {name!r}")
    return frozenset(expanded)
