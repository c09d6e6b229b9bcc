"""Keystore accounts: encrypted at rest, 0600, one clear line for a wrong passphrase."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from eth_account import Account

from listing import accounts
from listing.accounts import (
    find_account,
    import_account,
    keystore_dir,
    list_accounts,
    new_account,
    parse_private_key,
    read_passphrase,
    unlock,
)
from listing.errors import KeystoreError

FAST = 1 << 10  # scrypt cost for tests; the default is 2**18
KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
ADDRESS = Account.from_key(KEY).address


def test_a_new_account_is_an_encrypted_0600_keystore_in_a_0700_folder(tmp_path: Path) -> None:
    folder = tmp_path / "keystore"
    entry = new_account(folder, "口令 passphrase", scrypt_n=FAST)
    assert stat.S_IMODE(entry.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    content = json.loads(entry.path.read_text())
    assert content["crypto"]["kdf"] == "scrypt"
    assert content["address"].lower() == entry.address[2:].lower()
    assert entry.path.name.startswith("UTC--")
    assert entry.path.name.endswith(content["address"].lower())
    assert Account.from_key(unlock(entry.path, "口令 passphrase")).address == entry.address
    assert [p.name for p in folder.iterdir()] == [entry.path.name]  # no temporary left over


def test_the_default_cost_is_scrypt_2_to_the_18() -> None:
    assert accounts.SCRYPT_N == 1 << 18


def test_an_imported_key_keeps_its_address_and_is_listed(tmp_path: Path) -> None:
    entry = import_account(tmp_path, KEY, "pw", scrypt_n=FAST)
    (tmp_path / "notes.txt").write_text("not a keystore")
    assert entry.address == ADDRESS
    assert list_accounts(tmp_path) == [entry]
    assert find_account(tmp_path, ADDRESS.lower()) == entry


def test_importing_the_same_key_twice_is_refused(tmp_path: Path) -> None:
    import_account(tmp_path, KEY, "pw", scrypt_n=FAST)
    with pytest.raises(KeystoreError, match="already in the keystore"):
        import_account(tmp_path, KEY, "pw", scrypt_n=FAST)


def test_a_wrong_passphrase_is_one_clear_error(tmp_path: Path) -> None:
    entry = import_account(tmp_path, KEY, "right", scrypt_n=FAST)
    with pytest.raises(KeystoreError) as caught:
        unlock(entry.path, "wrong")
    assert str(caught.value) == f"{entry.path}: wrong passphrase"
    assert "right" not in str(caught.value)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        pytest.param("{", "not JSON", id="a file that is not JSON"),
        pytest.param(
            '{"address": "x"}', "not a Web3 Secret Storage", id="JSON that is not a keystore"
        ),
    ],
)
def test_a_broken_keystore_file_is_named(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "key.json"
    path.write_text(content)
    with pytest.raises(KeystoreError, match=fragment):
        unlock(path, "pw")


def test_an_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeystoreError, match="empty passphrase"):
        new_account(tmp_path, "", scrypt_n=FAST)


def test_an_unknown_account_is_named(tmp_path: Path) -> None:
    with pytest.raises(KeystoreError, match=f"no keystore file for {ADDRESS}"):
        find_account(tmp_path, ADDRESS)


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        pytest.param(KEY.hex(), True, id="64 hex digits are a key"),
        pytest.param("0x" + KEY.hex() + "\n", True, id="0x and a trailing newline are fine"),
        pytest.param(KEY.hex()[:-1], False, id="63 hex digits are not"),
        pytest.param("00" * 32, False, id="zero is not a secp256k1 key"),
        pytest.param("ff" * 32, False, id="a key beyond the curve order is not"),
    ],
)
def test_parse_private_key(text: str, ok: bool) -> None:
    if ok:
        assert parse_private_key(text) == KEY
    else:
        with pytest.raises(KeystoreError) as caught:
            parse_private_key(text)
        assert text.strip()[:10] not in str(caught.value)  # the key is never echoed


@pytest.mark.parametrize(
    ("option", "environ", "expected"),
    [
        pytest.param("/a", {"ONELIST_KEYSTORE_DIR": "/b"}, Path("/a"), id="the option wins"),
        pytest.param(None, {"ONELIST_KEYSTORE_DIR": "/b"}, Path("/b"), id="then the environment"),
        pytest.param(
            None, {}, Path.home() / ".onelist" / "keystore", id="then ~/.onelist/keystore"
        ),
    ],
)
def test_keystore_dir(option: str | None, environ: dict[str, str], expected: Path) -> None:
    assert keystore_dir(option, environ) == expected


def no_prompt(text: str) -> str:
    raise AssertionError("should not prompt")


def test_the_passphrase_file_wins_and_loses_one_trailing_newline(tmp_path: Path) -> None:
    path = tmp_path / "pw"
    path.write_text("secret \n")
    env = {"ONELIST_PASSPHRASE": "env"}
    assert read_passphrase(str(path), environ=env, prompt=no_prompt) == "secret "


def test_then_the_environment() -> None:
    env = {"ONELIST_PASSPHRASE": "env"}
    assert read_passphrase(None, environ=env, prompt=no_prompt) == "env"


def test_then_a_prompt_asked_twice_for_a_new_key() -> None:
    answers = iter(["p1", "p1"])
    value = read_passphrase(
        None, confirm=True, environ={}, prompt=lambda _: next(answers), interactive=True
    )
    assert value == "p1"


def test_two_different_answers_are_refused() -> None:
    answers = iter(["p1", "p2"])
    with pytest.raises(KeystoreError, match="differ"):
        read_passphrase(
            None, confirm=True, environ={}, prompt=lambda _: next(answers), interactive=True
        )


def test_without_a_terminal_there_is_no_prompt() -> None:
    with pytest.raises(KeystoreError, match="not a terminal"):
        read_passphrase(None, environ={}, prompt=no_prompt, interactive=False)


def test_a_missing_passphrase_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(KeystoreError, match="passphrase file not found"):
        read_passphrase(str(tmp_path / "none"), environ={})


def test_an_empty_passphrase_from_the_environment_is_refused() -> None:
    with pytest.raises(KeystoreError, match="empty passphrase"):
        read_passphrase(None, environ={"ONELIST_PASSPHRASE": ""})
