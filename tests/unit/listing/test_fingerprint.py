"""Dataset fingerprints: the Merkle scheme, order independence, proofs, files that change."""

from __future__ import annotations

import hashlib
import os
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from listing.errors import DocumentError, FingerprintError, ProofError
from listing.fingerprint import (
    SCHEME,
    FileEntry,
    Fingerprint,
    Proof,
    fingerprint_files,
    fingerprint_from_dict,
    fingerprint_paths,
    leaf_hash,
    merkle_root,
    node_hash,
    proof_from_dict,
    prove,
    scan,
    verify_proof,
)


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def write(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


FILES = {"b.csv": b"2,3\n", "a/x.csv": b"1\n", "a/y/z.bin": bytes(range(256)) * 5000, "e": b""}


# The scheme ----------------------------------------------------------------------------------


def test_a_leaf_is_sha256_of_0_path_0_filehash() -> None:
    file_hash = sha(b"1\n")
    assert leaf_hash("a/x.csv", file_hash) == sha(b"\x00a/x.csv\x00" + file_hash)


def test_a_node_is_sha256_of_1_left_right() -> None:
    assert node_hash(b"L" * 32, b"R" * 32) == sha(b"\x01" + b"L" * 32 + b"R" * 32)


@pytest.mark.parametrize(
    ("count", "shape"),
    [
        pytest.param(1, "0", id="one leaf is its own root"),
        pytest.param(2, "(0,1)", id="two leaves pair"),
        pytest.param(3, "((0,1),2)", id="an odd last leaf is promoted"),
        pytest.param(5, "(((0,1),(2,3)),4)", id="promoted twice over five leaves"),
        pytest.param(6, "(((0,1),(2,3)),(4,5))", id="six leaves"),
    ],
)
def test_the_tree_shape(count: int, shape: str) -> None:
    leaves = [bytes([i]) * 32 for i in range(count)]

    def build(text: str) -> tuple[bytes, str]:
        if text[0] != "(":
            digits = len(text) - len(text.lstrip("0123456789"))
            return leaves[int(text[:digits])], text[digits:]
        left, rest = build(text[1:])
        right, rest = build(rest[1:])  # skip ","
        return node_hash(left, right), rest[1:]  # skip ")"

    assert merkle_root(leaves) == build(shape)[0]


def test_the_known_answer_for_a_small_dataset(tmp_path: Path) -> None:
    write(tmp_path, {"b.csv": b"2,3\n", "a.csv": b"1\n", "c.txt": b""})
    leaves = [
        leaf_hash("a.csv", sha(b"1\n")),
        leaf_hash("b.csv", sha(b"2,3\n")),
        leaf_hash("c.txt", sha(b"")),
    ]
    expected = node_hash(node_hash(leaves[0], leaves[1]), leaves[2])
    fingerprint = fingerprint_paths([tmp_path])
    assert fingerprint.root == expected
    assert fingerprint.to_dict()["files"][2] == {
        "path": "c.txt",
        "size": 0,
        "sha256": "0x" + sha(b"").hex(),
    }


# Order independence --------------------------------------------------------------------------


def test_the_root_does_not_depend_on_creation_order_or_location(tmp_path: Path) -> None:
    first = write(tmp_path / "one", FILES)
    second = write(tmp_path / "elsewhere" / "two", dict(reversed(list(FILES.items()))))
    assert fingerprint_paths([first]).root == fingerprint_paths([second]).root


def test_files_given_one_by_one_are_named_by_their_file_names(tmp_path: Path) -> None:
    write(tmp_path, {"p.csv": b"p", "q.csv": b"q"})
    whole = fingerprint_paths([tmp_path])
    listed = fingerprint_paths([tmp_path / "q.csv", tmp_path / "p.csv"])
    assert whole.root == listed.root


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"b.csv": b"2,4\n"}, id="one changed byte changes the root"),
        pytest.param({"a/x2.csv": b"1\n"}, id="one more file changes the root"),
    ],
)
def test_content_and_names_change_the_root(tmp_path: Path, change: dict[str, bytes]) -> None:
    base = fingerprint_paths([write(tmp_path / "base", FILES)]).root
    assert fingerprint_paths([write(tmp_path / "changed", {**FILES, **change})]).root != base


def test_a_renamed_file_changes_the_root(tmp_path: Path) -> None:
    renamed = {("a/x-renamed.csv" if k == "a/x.csv" else k): v for k, v in FILES.items()}
    base = fingerprint_paths([write(tmp_path / "base", FILES)]).root
    assert fingerprint_paths([write(tmp_path / "renamed", renamed)]).root != base


def test_paths_are_unicode_nfc(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "é.csv")
    write(tmp_path / "nfd", {decomposed: b"x"})
    write(tmp_path / "nfc", {"é.csv": b"x"})
    nfd = fingerprint_paths([tmp_path / "nfd"])
    assert nfd.files[0].path == "é.csv"
    assert nfd.root == fingerprint_paths([tmp_path / "nfc"]).root


# Reading files -------------------------------------------------------------------------------


def test_large_files_stream_in_chunks_and_progress_adds_up(tmp_path: Path) -> None:
    data = os.urandom(3 * (1 << 20) + 17)
    write(tmp_path, {"big.bin": data})
    seen: list[int] = []
    fingerprint = fingerprint_files(scan([tmp_path]), seen.append)
    assert fingerprint.files[0].sha256 == sha(data)
    assert seen == [1 << 20, 1 << 20, 1 << 20, 17]


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [
        pytest.param(lambda p: p / "missing", "not found", id="a path that does not exist"),
        pytest.param(
            lambda p: (p / "empty").mkdir() or p / "empty", "no files", id="an empty folder"
        ),
    ],
)
def test_scan_refuses(tmp_path: Path, setup: Any, fragment: str) -> None:
    with pytest.raises(FingerprintError, match=fragment):
        scan([setup(tmp_path)])


def test_two_arguments_with_the_same_relative_path_are_refused(tmp_path: Path) -> None:
    write(tmp_path / "a", {"x.csv": b"1"})
    write(tmp_path / "b", {"x.csv": b"2"})
    with pytest.raises(FingerprintError, match=r"two files have the relative path 'x\.csv'"):
        scan([tmp_path / "a", tmp_path / "b"])


def test_a_symbolic_link_to_a_folder_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "data", {"x.csv": b"1"})
    (tmp_path / "data" / "loop").symlink_to(tmp_path / "data")
    with pytest.raises(FingerprintError, match="symbolic link to a folder"):
        scan([tmp_path / "data"])


def test_a_symbolic_link_to_a_file_is_followed(tmp_path: Path) -> None:
    write(tmp_path / "real", {"x.csv": b"1"})
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.csv").symlink_to(tmp_path / "real" / "x.csv")
    assert (
        fingerprint_paths([tmp_path / "data"]).root == fingerprint_paths([tmp_path / "real"]).root
    )


def test_a_broken_symbolic_link_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "gone").symlink_to(tmp_path / "nowhere")
    with pytest.raises(FingerprintError, match="broken symbolic link"):
        scan([tmp_path / "data"])


def _mid_read(tmp_path: Path, action: Any) -> FingerprintError:
    write(tmp_path, {"a.bin": b"a" * (3 << 20), "b.bin": b"b" * 10})
    planned = scan([tmp_path])
    done: list[int] = []

    def progress(n: int) -> None:
        if not done:
            done.append(n)
            action(tmp_path)

    with pytest.raises(FingerprintError) as caught:
        fingerprint_files(planned, progress)
    return caught.value


MID_READ = [
    pytest.param(
        lambda p: (p / "a.bin").unlink(),
        "a.bin: file vanished while being read",
        id="a file deleted while it is read is named",
    ),
    pytest.param(
        lambda p: (p / "b.bin").unlink(),
        "b.bin: file vanished before it could be read",
        id="a file deleted before its turn is named",
    ),
    pytest.param(
        lambda p: (p / "a.bin").open("ab").write(b"more"),
        "a.bin: file changed while being read",
        id="a file growing while it is read is named",
    ),
    pytest.param(
        lambda p: (p / "b.bin").write_bytes(b"c" * 11),
        "b.bin: file changed since the folder was listed",
        id="a file changed before its turn is named",
    ),
    pytest.param(
        lambda p: os.replace(p / "b.bin", p / "a.bin"),
        "a.bin: file replaced while being read",
        id="a file replaced by a rename while it is read is named",
    ),
]


@pytest.mark.parametrize(("action", "message"), MID_READ)
def test_a_file_that_vanishes_or_changes_is_an_error(
    tmp_path: Path, action: Any, message: str
) -> None:
    error = _mid_read(tmp_path, action)
    assert str(error).endswith(message)
    assert str(tmp_path) in str(error)


# Fingerprint files ---------------------------------------------------------------------------


def small_fingerprint(count: int = 5) -> Fingerprint:
    return Fingerprint.of(FileEntry(f"d/{i:03}.csv", i, sha(str(i).encode())) for i in range(count))


def test_a_fingerprint_file_round_trips() -> None:
    fingerprint = small_fingerprint()
    assert fingerprint_from_dict(fingerprint.to_dict(), where="f.json") == fingerprint


@pytest.mark.parametrize(
    ("change", "path"),
    [
        pytest.param({"root": "0x" + "ab" * 32}, "root", id="a root that does not match its files"),
        pytest.param({"file_count": 4}, "file_count", id="a wrong file count"),
        pytest.param({"total_bytes": 1}, "total_bytes", id="a wrong byte total"),
        pytest.param({"scheme": "other/1"}, "scheme", id="another scheme"),
        pytest.param({"files": []}, "files", id="no files"),
        pytest.param({"extra": 1}, "extra", id="an unknown field"),
    ],
)
def test_a_bad_fingerprint_file_is_refused(change: dict[str, Any], path: str) -> None:
    data = {**small_fingerprint().to_dict(), **change}
    with pytest.raises(DocumentError) as caught:
        fingerprint_from_dict(data, where="f.json")
    assert caught.value.issues[0].path == path


def test_a_tampered_file_entry_is_refused_by_path() -> None:
    data = small_fingerprint().to_dict()
    data["files"][2]["path"] = "../etc/passwd"
    with pytest.raises(DocumentError) as caught:
        fingerprint_from_dict(data, where="f.json")
    assert caught.value.issues[0].path == "files[2].path"


# Proofs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "count",
    [
        pytest.param(n, id=f"every leaf of a {n}-leaf tree proves")
        for n in (1, 2, 3, 4, 5, 7, 8, 9, 16, 17)
    ],
)
def test_every_leaf_proves(count: int) -> None:
    fingerprint = small_fingerprint(count)
    for entry in fingerprint.files:
        proof = prove(fingerprint, entry.path)
        verify_proof(proof)
        assert proof_from_dict(proof.to_dict(), where="p.json") == proof


def test_prove_accepts_a_dot_slash_path_and_refuses_an_unknown_one() -> None:
    fingerprint = small_fingerprint()
    assert prove(fingerprint, "./d/001.csv").index == 1
    with pytest.raises(ProofError, match=r"no file 'd/999\.csv'"):
        prove(fingerprint, "d/999.csv")


def _proof() -> Proof:
    return prove(small_fingerprint(9), "d/004.csv")


def _flip(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + value[1:]


TAMPERED = [
    pytest.param(lambda p: {"sha256": _flip(p.sha256)}, id="another file hash fails"),
    pytest.param(lambda p: {"path": "d/005.csv"}, id="another path fails"),
    pytest.param(lambda p: {"root": _flip(p.root)}, id="another root fails"),
    pytest.param(lambda p: {"index": p.index + 1}, id="another index fails"),
    pytest.param(lambda p: {"leaf_count": 8}, id="another leaf count fails"),
    pytest.param(
        lambda p: {"siblings": (_flip(p.siblings[0]), *p.siblings[1:])},
        id="a changed sibling fails",
    ),
    pytest.param(lambda p: {"siblings": p.siblings[:-1]}, id="a missing sibling fails"),
    pytest.param(lambda p: {"siblings": (*p.siblings, p.root)}, id="an extra sibling fails"),
    pytest.param(lambda p: {"siblings": tuple(reversed(p.siblings))}, id="reordered siblings fail"),
    pytest.param(lambda p: {"index": 9}, id="an index past the end fails"),
]


@pytest.mark.parametrize("tamper", TAMPERED)
def test_a_tampered_proof_fails(tamper: Any) -> None:
    proof = _proof()
    data = {**proof.__dict__, **tamper(proof)}
    with pytest.raises(ProofError):
        verify_proof(Proof(**data))


@pytest.mark.parametrize(
    ("change", "path"),
    [
        pytest.param({"siblings": ["0x12"]}, "siblings[0]", id="a short sibling hash"),
        pytest.param({"index": -1}, "index", id="a negative index"),
        pytest.param({"index": True}, "index", id="a boolean index"),
        pytest.param({"path": "/etc/passwd"}, "path", id="an absolute path"),
        pytest.param({"scheme": SCHEME + "x"}, "scheme", id="an unknown scheme"),
    ],
)
def test_a_malformed_proof_file_is_refused(change: dict[str, Any], path: str) -> None:
    data = {**_proof().to_dict(), **change}
    with pytest.raises(DocumentError) as caught:
        proof_from_dict(data, where="p.json")
    assert caught.value.issues[0].path == path
