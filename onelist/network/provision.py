"""Each local node's files: its folder, configuration, keystore and staff accounts.

Everything is made once and kept: a second ``onelist up`` finds the keystore, the passphrase
and the staff accounts of the first, so the same passwords keep working. Only ``node.toml`` is
written on every start (the ports or the chain's URL may differ). Secrets go into files only
their owner may read (0600) and never to the terminal or a log.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

from listing.accounts import import_account, list_accounts
from node.api.staff_auth import add_staff_user
from node.service import open_store
from node.store.staff import list_users
from onelist.chain.connection import address_of
from onelist.network.plan import NetworkPlan, NodePlan, node_toml

__all__ = ["dev_key_for", "provision", "read_staff_passwords"]

#: The scrypt cost of the local nodes' keystores. The keys are the public development keys, so
#: a costly KDF protects nothing; a cheap one keeps four nodes' start-up (each unlocks its key)
#: under a second on a small machine. A real node's keystore uses the toolkit's default.
DEV_KEYSTORE_SCRYPT_N = 1 << 12


def dev_key_for(account: str, dev_keys: Sequence[str]) -> str | None:
    """The development private key of ``account``, or None when it is not a dev account (a
    founding file with real operators: their nodes then run without a key)."""
    for key in dev_keys:
        if address_of(key).lower() == account.lower():
            return key
    return None


def _write_secret(path: Path, text: str) -> None:
    """Create ``path`` readable by its owner only, refusing to replace an existing file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def _keystore(node: NodePlan, key: str | None) -> Path | None:
    """The node's keystore: the one made before, else one made now from the account's dev key
    (None: neither exists)."""
    for entry in list_accounts(node.keystore_dir) if node.keystore_dir.is_dir() else []:
        if entry.address.lower() == node.account.lower():
            return entry.path
    if key is None:
        return None
    if not node.passphrase_path.exists():
        _write_secret(node.passphrase_path, secrets.token_urlsafe(24) + "\n")
    passphrase = node.passphrase_path.read_text(encoding="utf-8").removesuffix("\n")
    entry = import_account(
        node.keystore_dir,
        bytes.fromhex(key.removeprefix("0x")),
        passphrase,
        scrypt_n=DEV_KEYSTORE_SCRYPT_N,
    )
    return entry.path


def read_staff_passwords(path: Path) -> dict[str, str]:
    """The generated staff passwords in a node's ``staff-passwords`` file ({username: password})."""
    passwords: dict[str, str] = {}
    with contextlib.suppress(FileNotFoundError):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                username, _, password = line.partition(" ")
                passwords[username] = password
    return passwords


def _staff(node: NodePlan) -> None:
    """The node's staff accounts, with passwords generated the first time. The file is written
    before the accounts, so no account ever exists whose password nobody can read."""
    if not node.staff_passwords_path.exists():
        lines = [f"# staff of {node.organisation}'s node at {node.url}: username password"]
        lines += [f"{a.username} {secrets.token_urlsafe(15)}" for a in node.staff]
        _write_secret(node.staff_passwords_path, "\n".join(lines) + "\n")
    passwords = read_staff_passwords(node.staff_passwords_path)
    store = open_store(f"sqlite:///{node.database_path}")
    try:
        existing = {user.username for user in list_users(store.engine)}
        for account in node.staff:
            if account.username not in existing:
                add_staff_user(
                    store.engine, account.username, passwords[account.username], account.roles
                )
    finally:
        store.close()


def provision(plan: NetworkPlan, dev_keys: Sequence[str]) -> Mapping[str, bool]:
    """Make or find every node's files; returns for each organisation whether its node has its
    operator's (or regulator's) key."""
    has_key: dict[str, bool] = {}
    for node in plan.nodes:
        node.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        keystore = _keystore(node, dev_key_for(node.account, dev_keys))
        _staff(node)
        node.config_path.write_text(node_toml(plan, node, keystore), encoding="utf-8")
        has_key[node.organisation] = keystore is not None
    return has_key
