"""``sim2l-sessions``: create users and mint tokens from a shell.

Examples::

    sim2l-sessions create-user alice --role developer --email alice@example.com
    sim2l-sessions login alice             # prints a session token
    sim2l-sessions anonymous --privileges developer --ttl-hours 1
    sim2l-sessions mint alice --role admin # needs the secret, no password
    sim2l-sessions list-users
    sim2l-sessions check TOKEN register_simulation
    sim2l-sessions logout TOKEN
    sim2l-sessions logout-everywhere TOKEN   # every token of that token's user
    sim2l-sessions revoke-sessions alice     # every token alice holds
    sim2l-sessions set-role alice user       # also ends alice's tokens

Passwords are read from ``SIM2L_PASSWORD`` or asked for without echo, never
taken from the command line (it would land in shell history and ``ps``).
"""

import argparse
import getpass
import json
import os
import sys

from sim2l_sessions import get_session_manager
from sim2l_sessions.errors import SessionError
from sim2l_sessions.passwords import PasswordError
from sim2l_sessions.privileges import ROLES
from sim2l_sessions.privileges import UnknownPrivilegeError


def _password(prompt: str) -> str:
    return os.environ.get("SIM2L_PASSWORD") or getpass.getpass(prompt)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sim2l-sessions", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-user", help="create a user")
    create.add_argument("username")
    create.add_argument("--role", choices=sorted(ROLES), default="user")
    create.add_argument("--email")
    login = commands.add_parser("login", help="log in and print a session token")
    login.add_argument("username")
    login.add_argument("--ttl-hours", type=float)
    anonymous = commands.add_parser("anonymous", help="print an anonymous session token")
    anonymous.add_argument("--privileges", help="comma-separated privileges or roles")
    anonymous.add_argument("--ttl-hours", type=float)
    mint = commands.add_parser(
        "mint", help="print a token for a user without a password (needs the secret)"
    )
    mint.add_argument("username")
    mint.add_argument("--role", choices=sorted(ROLES), default="user")
    mint.add_argument("--ttl-hours", type=float)
    commands.add_parser("list-users", help="list users")
    delete = commands.add_parser("delete-user", help="delete a user")
    delete.add_argument("username")
    password = commands.add_parser("set-password", help="set a user's password")
    password.add_argument("username")
    check = commands.add_parser("check", help="check a token, optionally for a privilege")
    check.add_argument("token")
    check.add_argument("privilege", nargs="?")
    logout = commands.add_parser("logout", help="revoke a token")
    logout.add_argument("token")
    everywhere = commands.add_parser(
        "logout-everywhere", help="revoke every token of this token's user"
    )
    everywhere.add_argument("token")
    revoke = commands.add_parser("revoke-sessions", help="revoke every token a user holds")
    revoke.add_argument("username")
    role = commands.add_parser("set-role", help="change a user's role (revokes their tokens)")
    role.add_argument("username")
    role.add_argument("role", choices=sorted(ROLES))
    return parser


def main(argv=None) -> int:
    """Run one command; exit status 0 on success, 1 on a refused request, 2 on bad usage."""
    args = _parser().parse_args(argv)
    manager = get_session_manager()
    try:
        if args.command == "create-user":
            user = manager.create_user(
                args.username, _password("new password: "), args.role, args.email
            )
            print(json.dumps(user))
        elif args.command == "login":
            print(
                manager.authenticate(
                    args.username, _password("password: "), ttl_hours=args.ttl_hours
                ).session_id
            )
        elif args.command == "anonymous":
            privileges = args.privileges.split(",") if args.privileges else None
            print(manager.create_anonymous_session(privileges, ttl_hours=args.ttl_hours).session_id)
        elif args.command == "mint":
            print(
                manager.create_session(
                    args.username, args.role, ttl_hours=args.ttl_hours
                ).session_id
            )
        elif args.command == "list-users":
            for user in manager.iter_users():
                print(json.dumps(user))
        elif args.command == "delete-user":
            manager.delete_user(args.username)
        elif args.command == "set-password":
            manager.change_password(args.username, _password("new password: "))
        elif args.command == "check":
            session = manager.get_session(args.token)
            if session is None:
                print("invalid token", file=sys.stderr)
                return 1
            print(json.dumps({**session.to_dict(), "valid": session.is_valid()}))
            if args.privilege and not session.has_privilege(args.privilege):
                print(f"lacks {args.privilege}", file=sys.stderr)
                return 1
        elif args.command == "logout":
            return 0 if manager.invalidate_session(args.token) else 1
        elif args.command == "logout-everywhere":
            return 0 if manager.logout_everywhere(args.token) else 1
        elif args.command == "revoke-sessions":
            manager.revoke_user_sessions(args.username)
        elif args.command == "set-role":
            manager.set_role(args.username, args.role)
    except (SessionError, PasswordError, UnknownPrivilegeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
