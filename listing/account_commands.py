"""``onelist account new|list|import``: the provider's keys, in encrypted keystore files."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from listing.accounts import (
    import_account,
    keystore_dir,
    list_accounts,
    new_account,
    parse_private_key,
    read_passphrase,
)
from listing.errors import KeystoreError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``account`` and its sub-commands to the ``onelist`` parser."""
    parser = subparsers.add_parser(
        "account",
        help="provider keys in encrypted keystore files",
        description="账户 / accounts: Web3 Secret Storage keystore files (scrypt)",
    )

    def show_help(args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(func=show_help)
    sub = parser.add_subparsers(dest="account_command", metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--keystore-dir",
        help="keystore folder (default $ONELIST_KEYSTORE_DIR or ~/.onelist/keystore)",
    )

    with_passphrase = argparse.ArgumentParser(add_help=False)
    with_passphrase.add_argument(
        "--passphrase-file",
        help="read the passphrase from this file (else $ONELIST_PASSPHRASE, else a prompt)",
    )

    p = sub.add_parser("new", parents=[common, with_passphrase], help="create a new key")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("list", parents=[common], help="list the keystore's accounts")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser(
        "import", parents=[common, with_passphrase], help="import a private key (hex)"
    )
    p.add_argument(
        "--key-file", help="read the hex private key from this file (else a hidden prompt)"
    )
    p.set_defaults(func=cmd_import)


def cmd_new(args: argparse.Namespace) -> int:
    directory = keystore_dir(args.keystore_dir)
    passphrase = read_passphrase(args.passphrase_file, confirm=True)
    entry = new_account(directory, passphrase)
    print(f"{entry.address}  {entry.path}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    directory = keystore_dir(args.keystore_dir)
    entries = list_accounts(directory)
    if not entries:
        print(f"no accounts in {directory}", file=sys.stderr)
    for entry in entries:
        print(f"{entry.address}  {entry.path}")
    return 0


def _read_key(key_file: str | None) -> bytes:
    if key_file is not None:
        try:
            text = Path(key_file).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise KeystoreError("key file not found", where=key_file) from None
        except (OSError, UnicodeDecodeError):
            raise KeystoreError("cannot read key file", where=key_file) from None
        try:
            return parse_private_key(text)
        except KeystoreError as exc:
            raise KeystoreError(exc.message, where=key_file) from None
    if not sys.stdin.isatty():
        raise KeystoreError("no private key: not a terminal; use --key-file")
    return parse_private_key(getpass.getpass("私钥 / private key (hex): "))


def cmd_import(args: argparse.Namespace) -> int:
    directory = keystore_dir(args.keystore_dir)
    private_key = _read_key(args.key_file)
    passphrase = read_passphrase(args.passphrase_file, confirm=True)
    entry = import_account(directory, private_key, passphrase)
    print(f"{entry.address}  {entry.path}")
    return 0
