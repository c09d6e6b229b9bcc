"""Provider accounts in Web3 Secret Storage keystore files (scrypt), as geth and clef keep them.

Keys are encrypted at rest; a passphrase comes from ``--passphrase-file``, the environment
variable ``ONELIST_PASSPHRASE`` or a hidden prompt, and is never printed or logged. Keystore
files are created 0600 in a 0700 folder, written whole or not at all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils import is_address, to_checksum_address

from listing.errors import KeystoreError

__all__ = [
    "ENV_KEYSTORE_DIR",
    "ENV_PASSPHRASE",
    "SCRYPT_N",
    "KeystoreEntry",
    "find_account",
    "import_account",
    "keystore_dir",
    "list_accounts",
    "new_account",
    "parse_private_key",
    "read_passphrase",
    "unlock",
]

ENV_KEYSTORE_DIR = "ONELIST_KEYSTORE_DIR"
ENV_PASSPHRASE = "ONELIST_PASSPHRASE"
SCRYPT_N = 1 << 18  # geth's "standard" scrypt cost: about 0.5 s and 256 MiB to unlock
MAX_KEYSTORE_BYTES = 64 * 1024
_KEY = re.compile(r"(0x)?[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class KeystoreEntry:
    address: str  # EIP-55 checksummed
    path: Path


def keystore_dir(option: str | None = None, environ: Mapping[str, str] = os.environ) -> Path:
    """``--keystore-dir``, else ``$ONELIST_KEYSTORE_DIR``, else ``~/.onelist/keystore``."""
    if option:
        return Path(option)
    if environ.get(ENV_KEYSTORE_DIR):
        return Path(environ[ENV_KEYSTORE_DIR])
    return Path.home() / ".onelist" / "keystore"


def parse_private_key(text: str) -> bytes:
    """A hex private key (64 digits, optional 0x); the message never repeats the key."""
    text = text.strip()
    if not _KEY.fullmatch(text):
        raise KeystoreError("private key must be 64 hex digits (optionally 0x-prefixed)")
    key = bytes.fromhex(text.removeprefix("0x"))
    try:
        Account.from_key(key)
    except ValueError:
        raise KeystoreError("private key is out of range for secp256k1") from None
    return key


def _read_keystore(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_KEYSTORE_BYTES + 1)
    except FileNotFoundError:
        raise KeystoreError("keystore file not found", where=str(path)) from None
    except OSError as exc:
        raise KeystoreError(f"cannot read keystore: {exc.strerror}", where=str(path)) from None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise KeystoreError("not a keystore file (not JSON)", where=str(path)) from None
    if (
        len(raw) > MAX_KEYSTORE_BYTES
        or not isinstance(data, dict)
        or not isinstance(data.get("crypto") or data.get("Crypto"), dict)
        or not isinstance(data.get("address"), str)
        or not is_address(data["address"])
    ):
        raise KeystoreError("not a Web3 Secret Storage keystore file", where=str(path))
    return data


def list_accounts(directory: Path) -> list[KeystoreEntry]:
    """The keystore files in ``directory`` (other files are ignored), sorted by file name."""
    if not directory.is_dir():
        return []
    entries = []
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        try:
            data = _read_keystore(path)
        except KeystoreError:
            continue
        entries.append(KeystoreEntry(to_checksum_address(data["address"]), path))
    return entries


def find_account(directory: Path, address: str) -> KeystoreEntry:
    """The keystore file of ``address`` in ``directory``."""
    if not is_address(address):
        raise KeystoreError(f"{address!r} is not an address")
    for entry in list_accounts(directory):
        if entry.address.lower() == address.lower():
            return entry
    raise KeystoreError(f"no keystore file for {address}", where=str(directory))


def unlock(path: Path, passphrase: str) -> bytes:
    """The private key in a keystore file; a wrong passphrase is one clear error."""
    data = _read_keystore(path)
    try:
        return bytes(Account.decrypt(data, passphrase))
    except ValueError as exc:
        if "MAC mismatch" in str(exc):
            raise KeystoreError("wrong passphrase", where=str(path)) from None
        raise KeystoreError(f"cannot decrypt keystore: {exc}", where=str(path)) from None


def _prepare_dir(directory: Path) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise KeystoreError(
            f"cannot create keystore folder: {exc.strerror}", where=str(directory)
        ) from None
    if not directory.is_dir():
        raise KeystoreError("keystore folder is not a folder", where=str(directory))


def _store(
    directory: Path, private_key: bytes, passphrase: str, scrypt_n: int | None
) -> KeystoreEntry:
    if not passphrase:
        raise KeystoreError("empty passphrase refused")
    address = Account.from_key(private_key).address
    _prepare_dir(directory)
    for existing in list_accounts(directory):
        if existing.address == address:
            raise KeystoreError(f"{address} is already in the keystore", where=str(existing.path))
    keystore = Account.encrypt(
        private_key, passphrase, kdf="scrypt", iterations=scrypt_n or SCRYPT_N
    )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H-%M-%S.%f000Z")
    target = directory / f"UTC--{stamp}--{address[2:].lower()}"
    fd, tmp = tempfile.mkstemp(prefix=".keystore.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), 0o600)
            json.dump(keystore, f)
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, target)  # fails rather than overwrite an existing file
    except OSError as exc:
        raise KeystoreError(f"cannot write keystore: {exc.strerror}", where=str(target)) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return KeystoreEntry(address, target)


def new_account(directory: Path, passphrase: str, *, scrypt_n: int | None = None) -> KeystoreEntry:
    """A fresh key, encrypted into a new keystore file."""
    return _store(directory, bytes(Account.create().key), passphrase, scrypt_n)


def import_account(
    directory: Path, private_key: bytes, passphrase: str, *, scrypt_n: int | None = None
) -> KeystoreEntry:
    """An existing key, encrypted into a new keystore file."""
    return _store(directory, private_key, passphrase, scrypt_n)


def read_passphrase(
    passphrase_file: str | None,
    *,
    confirm: bool = False,
    environ: Mapping[str, str] = os.environ,
    prompt: Callable[[str], str] = getpass.getpass,
    interactive: bool | None = None,
) -> str:
    """The passphrase from ``--passphrase-file``, ``$ONELIST_PASSPHRASE`` or a hidden prompt.

    A passphrase file's single trailing newline is not part of the passphrase. ``confirm``
    asks twice at the prompt (for a new key).
    """
    if passphrase_file is not None:
        try:
            text = Path(passphrase_file).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise KeystoreError("passphrase file not found", where=passphrase_file) from None
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
            raise KeystoreError(
                f"cannot read passphrase file: {reason}", where=passphrase_file
            ) from None
        passphrase = text.removesuffix("\n").removesuffix("\r")
        source = "passphrase file"
    elif environ.get(ENV_PASSPHRASE) is not None:
        passphrase = environ[ENV_PASSPHRASE]
        source = ENV_PASSPHRASE
    else:
        if interactive is None:
            interactive = sys.stdin.isatty()
        if not interactive:
            raise KeystoreError(
                f"no passphrase: not a terminal; use --passphrase-file or set {ENV_PASSPHRASE}"
            )
        passphrase = prompt("口令 / passphrase: ")
        if confirm and prompt("再次输入 / repeat passphrase: ") != passphrase:
            raise KeystoreError("the two passphrases differ")
        source = "prompt"
    if not passphrase:
        raise KeystoreError(f"empty passphrase (from {source})")
    return passphrase
