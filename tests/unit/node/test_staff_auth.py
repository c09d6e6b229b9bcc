"""Staff authentication's pure parts: password hashes, usernames, roles."""

from __future__ import annotations

import pytest

from node.api.errors import BadRequest
from node.api.staff_auth import (
    StaffUser,
    check_roles,
    check_username,
    hash_password,
    verify_password,
)

N = 1 << 10  # cheap scrypt for tests; the format carries the cost
STORED = hash_password("correct horse battery", n=N)


@pytest.mark.parametrize(
    ("password", "stored", "expected"),
    [
        ("correct horse battery", STORED, True),
        ("correct horse batterY", STORED, False),
        ("", STORED, False),
        ("correct horse battery", STORED.replace("scrypt$", "bcrypt$"), False),
        ("correct horse battery", "scrypt$1024$8$1$not base64!$xx", False),
        ("correct horse battery", "scrypt$1024$8$1", False),
        ("correct horse battery", STORED.replace(f"scrypt${N}$", "scrypt$1000$"), False),
        ("correct horse battery", STORED.replace(f"scrypt${N}$", f"scrypt${1 << 30}$"), False),
    ],
    ids=[
        "the right password matches",
        "a password differing in one letter does not",
        "an empty password does not",
        "another scheme is refused",
        "a salt that is not base64 is refused",
        "a truncated hash is refused",
        "a cost that is not a power of two is refused",
        "an absurd cost is refused instead of exhausting memory",
    ],
)
def test_verify_password(password: str, stored: str, expected: bool) -> None:
    assert verify_password(password, stored) is expected


def test_each_hash_has_its_own_salt() -> None:
    first, second = hash_password("same password!", n=N), hash_password("same password!", n=N)
    assert first != second
    assert verify_password("same password!", first) and verify_password("same password!", second)


def test_the_stored_form_names_its_parameters() -> None:
    scheme, n, r, p, _salt, _digest = STORED.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(N), "8", "1")
    assert "correct" not in STORED


@pytest.mark.parametrize(
    ("username", "valid"),
    [
        ("alice", True),
        ("reviewer.01", True),
        ("a", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("Alice", False),
        ("-alice", False),
        ("ali ce", False),
        ("", False),
        ("张三", False),
    ],
    ids=[
        "a plain name",
        "dots and digits",
        "one letter",
        "64 characters",
        "65 characters is too long",
        "capitals are refused",
        "a leading dash is refused",
        "spaces are refused",
        "empty is refused",
        "non-ASCII is refused",
    ],
)
def test_check_username(username: str, valid: bool) -> None:
    if valid:
        assert check_username(username) == username
    else:
        with pytest.raises(BadRequest):
            check_username(username)


@pytest.mark.parametrize(
    ("roles", "valid"),
    [
        (["reviewer"], True),
        (["reviewer", "admin", "reviewer"], True),
        (["auditor", "regulator_officer"], True),
        ([], False),
        (["root"], False),
        (["reviewer", "Reviewer"], False),
    ],
    ids=[
        "one role",
        "several roles, a repeat folded",
        "the regulator's roles",
        "no role is refused",
        "an unknown role is refused",
        "roles are case-sensitive",
    ],
)
def test_check_roles(roles: list[str], valid: bool) -> None:
    if valid:
        assert check_roles(roles) == frozenset(roles)
    else:
        with pytest.raises(BadRequest):
            check_roles(roles)


@pytest.mark.parametrize(
    ("held", "asked", "expected"),
    [
        ({"reviewer"}, ("reviewer",), True),
        ({"reviewer"}, ("admin", "reviewer"), True),
        ({"auditor"}, ("reviewer",), False),
        ({"auditor"}, (), True),
        ({"admin"}, ("reviewer",), False),
    ],
    ids=[
        "the role asked for",
        "one of the roles asked for",
        "another role",
        "any role when none is asked for",
        "admin is not a reviewer: roles do not imply each other",
    ],
)
def test_staff_user_has(held: set[str], asked: tuple[str, ...], expected: bool) -> None:
    assert StaffUser("u", frozenset(held), "csrf", 0).has(*asked) is expected
