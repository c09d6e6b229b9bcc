"""``onelist node user add|list``: the node's staff accounts (reviewers, admins, auditors)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from node.commands import config_from
from node.config import DEFAULT_DATA_DIR
from onelist.errors import ConfigError

ENV_PASSWORD = "ONELIST_USER_PASSWORD"

#: ``node.api.staff_auth.ROLES`` (tests/unit/test_cli.py checks it), written out so that building
#: the parser of `onelist node …` imports neither the API nor the store.
ROLE_CHOICES = ("admin", "auditor", "regulator_officer", "reviewer")


def _common(p: argparse.ArgumentParser) -> None:
    """The node's configuration flags, as ``onelist node run`` takes them."""
    p.add_argument("--config", type=Path, help="node TOML file ([node] table)")
    p.add_argument("--organisation", help="exchange code or 'regulator' (default SH)")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    p.add_argument("--rpc", dest="rpc_url", help="chain JSON-RPC URL")
    p.add_argument("--ws", dest="ws_url", help="websocket URL for new-head notifications")
    p.add_argument("--db", dest="database_url", help="SQLAlchemy URL of the index")
    p.add_argument("--deployment", type=Path, help="deployment record")
    p.add_argument("--confirmations", type=int)
    p.add_argument("--max-range", type=int, help="blocks per eth_getLogs query at most")
    p.add_argument("--port", dest="http_port", type=int, help="HTTP port (default 8600)")
    p.add_argument("--host", dest="http_host", help="HTTP address (default 127.0.0.1)")


def _node_subparsers(subparsers: argparse._SubParsersAction[Any]) -> Any:
    node = subparsers.choices.get("node")
    if node is None:
        return None
    for action in node._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    node_sub = _node_subparsers(subparsers)
    if node_sub is None:  # node.commands is not registered: nothing to hang "user" on
        return
    user = node_sub.add_parser("user", help="the node's staff accounts")
    sub = user.add_subparsers(dest="user_command", metavar="COMMAND", required=True)
    add = sub.add_parser(
        "add",
        help="add a staff account",
        description=(
            "Add a staff account. The password comes from --password-file, else "
            f"${ENV_PASSWORD}, else a hidden prompt (asked twice)."
        ),
    )
    _common(add)
    add.add_argument("username")
    add.add_argument(
        "--role",
        dest="roles",
        action="append",
        required=True,
        choices=ROLE_CHOICES,
        help="a role (repeat for several)",
    )
    add.add_argument("--password-file", type=Path, help="file holding the password")
    add.set_defaults(func=cmd_user_add)
    listing = sub.add_parser("list", help="list the staff accounts and their roles")
    _common(listing)
    listing.set_defaults(func=cmd_user_list)


def read_password(
    password_file: Path | None,
    environ: Any = os.environ,
    prompt: Any = getpass.getpass,
    interactive: bool | None = None,
) -> str:
    """The new account's password: file (one trailing newline dropped), env var or prompt."""
    if password_file is not None:
        try:
            text = password_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
            raise ConfigError(
                f"cannot read the password file: {reason}", where=str(password_file)
            ) from None
        return text.removesuffix("\n").removesuffix("\r")
    if environ.get(ENV_PASSWORD):
        return str(environ[ENV_PASSWORD])
    if interactive is None:
        interactive = sys.stdin.isatty()
    if not interactive:
        raise ConfigError(f"no password: not a terminal; use --password-file or ${ENV_PASSWORD}")
    password = str(prompt("password: "))
    if str(prompt("repeat password: ")) != password:
        raise ConfigError("the two passwords differ")
    return password


def cmd_user_add(args: argparse.Namespace) -> int:
    from node.api.errors import ApiError
    from node.api.staff_auth import add_staff_user
    from node.service import open_store

    config = config_from(args)
    password = read_password(args.password_file)
    store = open_store(config.database_url)
    try:
        add_staff_user(store.engine, args.username, password, args.roles)
    except ApiError as exc:
        raise ConfigError(exc.message, where=exc.field) from None
    finally:
        store.close()
    print(f"added staff user {args.username} ({', '.join(sorted(set(args.roles)))})")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from node.service import open_store
    from node.store.staff import list_users

    config = config_from(args)
    store = open_store(config.database_url)
    try:
        users = list_users(store.engine)
    finally:
        store.close()
    for account in users:
        print(f"{account.username}\t{','.join(sorted(account.roles))}")
    return 0
