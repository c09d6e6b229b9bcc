"""Dataset fingerprint: a Merkle root over the SHA-256 of every file of a dataset.

Computed on the provider's machine; the data never leaves it. The scheme
(``onelist-fingerprint/1``, documented in docs/listing.md):

- each file is hashed with SHA-256, streamed in 1 MiB chunks (constant memory);
- its *relative path* is the path below the folder given (or the file's name for a file
  given directly), with ``/`` separators, Unicode NFC;
- ``leaf = sha256(0x00 || utf8(path) || 0x00 || file_sha256)``, leaves sorted by the UTF-8
  bytes of their paths;
- ``node = sha256(0x01 || left || right)``, level by level; an odd last node is promoted to
  the next level unchanged; the root of one leaf is the leaf.

The root depends only on the paths and contents, never on the order files are found in.
An inclusion proof shows one file (path and hash) is part of a root without the others.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from listing.errors import DocumentError, FingerprintError, Issue, ProofError

__all__ = [
    "CHUNK_SIZE",
    "SCHEME",
    "FileEntry",
    "Fingerprint",
    "PlannedFile",
    "Proof",
    "fingerprint_files",
    "fingerprint_from_dict",
    "fingerprint_paths",
    "hash_file",
    "leaf_hash",
    "merkle_root",
    "node_hash",
    "proof_from_dict",
    "prove",
    "relative_posix",
    "root_from_proof",
    "scan",
    "verify_proof",
]

SCHEME = "onelist-fingerprint/1"
CHUNK_SIZE = 1 << 20
_LEAF = b"\x00"
_NODE = b"\x01"
_HEX32 = re.compile(r"0x[0-9a-f]{64}")

Progress = Callable[[int], None]


# ---------------------------------------------------------------------------------------------
# The Merkle tree (pure).


def leaf_hash(path: str, file_sha256: bytes) -> bytes:
    """``sha256(0x00 || utf8(path) || 0x00 || file_sha256)``."""
    return hashlib.sha256(_LEAF + path.encode("utf-8") + _LEAF + file_sha256).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``sha256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE + left + right).digest()


def _next_level(level: Sequence[bytes]) -> list[bytes]:
    up = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
    if len(level) % 2:
        up.append(level[-1])  # odd node promoted
    return up


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The root over ``leaves`` (already in order); at least one leaf."""
    if not leaves:
        raise ValueError("a Merkle tree needs at least one leaf")
    level = list(leaves)
    while len(level) > 1:
        level = _next_level(level)
    return level[0]


def _proof_siblings(leaves: Sequence[bytes], index: int) -> list[bytes]:
    siblings: list[bytes] = []
    level = list(leaves)
    while len(level) > 1:
        if not (index == len(level) - 1 and len(level) % 2):
            siblings.append(level[index ^ 1])
        level = _next_level(level)
        index //= 2
    return siblings


def root_from_proof(leaf: bytes, index: int, leaf_count: int, siblings: Sequence[bytes]) -> bytes:
    """Recompute the root from a leaf, its index among ``leaf_count`` leaves and the siblings.

    The tree's shape follows from ``index`` and ``leaf_count``, so each sibling's side is
    fixed; a proof with too many or too few siblings raises :class:`ProofError`.
    """
    if not 0 <= index < leaf_count:
        raise ProofError(f"index {index} is outside 0..{leaf_count - 1}")
    node, width, used = leaf, leaf_count, 0
    while width > 1:
        if not (index == width - 1 and width % 2):
            if used == len(siblings):
                raise ProofError(f"too few siblings ({len(siblings)}) for this tree")
            sibling = siblings[used]
            used += 1
            node = node_hash(node, sibling) if index % 2 == 0 else node_hash(sibling, node)
        index //= 2
        width = (width + 1) // 2
    if used != len(siblings):
        raise ProofError(f"too many siblings ({len(siblings)}, the tree needs {used})")
    return node


# ---------------------------------------------------------------------------------------------
# Fingerprints and proofs as values.


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    sha256: bytes

    @property
    def leaf(self) -> bytes:
        return leaf_hash(self.path, self.sha256)


def _sort_key(entry: FileEntry) -> bytes:
    return entry.path.encode("utf-8")


@dataclass(frozen=True)
class Fingerprint:
    root: bytes
    files: tuple[FileEntry, ...]

    @classmethod
    def of(cls, files: Iterable[FileEntry]) -> Fingerprint:
        ordered = tuple(sorted(files, key=_sort_key))
        if not ordered:
            raise FingerprintError("no files to fingerprint")
        return cls(merkle_root([f.leaf for f in ordered]), ordered)

    @property
    def root_hex(self) -> str:
        return "0x" + self.root.hex()

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scheme": SCHEME,
            "root": self.root_hex,
            "file_count": len(self.files),
            "total_bytes": self.total_bytes,
            "files": [
                {"path": f.path, "size": f.size, "sha256": "0x" + f.sha256.hex()}
                for f in self.files
            ],
        }


@dataclass(frozen=True)
class Proof:
    """That the file ``path`` with content hash ``sha256`` is leaf ``index`` under ``root``."""

    root: bytes
    path: str
    sha256: bytes
    index: int
    leaf_count: int
    siblings: tuple[bytes, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scheme": SCHEME,
            "root": "0x" + self.root.hex(),
            "path": self.path,
            "sha256": "0x" + self.sha256.hex(),
            "index": self.index,
            "leaf_count": self.leaf_count,
            "siblings": ["0x" + s.hex() for s in self.siblings],
        }


def prove(fingerprint: Fingerprint, path: str) -> Proof:
    """An inclusion proof for the file at relative ``path``."""
    wanted = relative_posix(path)
    for index, entry in enumerate(fingerprint.files):
        if entry.path == wanted:
            leaves = [f.leaf for f in fingerprint.files]
            return Proof(
                fingerprint.root,
                entry.path,
                entry.sha256,
                index,
                len(leaves),
                tuple(_proof_siblings(leaves, index)),
            )
    raise ProofError(f"no file {wanted!r} in the fingerprint ({len(fingerprint.files)} files)")


def verify_proof(proof: Proof) -> None:
    """Raise :class:`ProofError` unless the proof leads to its root."""
    computed = root_from_proof(
        leaf_hash(proof.path, proof.sha256), proof.index, proof.leaf_count, proof.siblings
    )
    if computed != proof.root:
        raise ProofError(
            f"proof for {proof.path!r} leads to 0x{computed.hex()}, not to its root "
            f"0x{proof.root.hex()}"
        )


# Reading fingerprint and proof files (already parsed JSON).


class _Reader:
    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, path: str, message: str) -> DocumentError:
        return DocumentError([Issue(path, message)], where=self.where)

    def obj(self, value: Any, path: str, keys: Iterable[str]) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, "expected an object")
        wanted = set(keys)
        for key in value:
            if key not in wanted:
                raise self.fail(f"{path}.{key}" if path != "(root)" else key, "unknown field")
        for key in wanted:
            if key not in value:
                raise self.fail(f"{path}.{key}" if path != "(root)" else key, "field required")
        return value

    def hash32(self, value: Any, path: str) -> bytes:
        if not isinstance(value, str) or not _HEX32.fullmatch(value):
            raise self.fail(path, "expected 0x + 64 lower-case hex digits")
        return bytes.fromhex(value[2:])

    def count(self, value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(path, "expected a non-negative integer")
        return value

    def relpath(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not _is_relative_posix(value):
            raise self.fail(path, "expected a relative path with / separators")
        return value

    def scheme(self, value: Any) -> None:
        if value != SCHEME:
            raise self.fail("scheme", f"expected {SCHEME!r}, got {value!r}")


def _is_relative_posix(path: str) -> bool:
    parts = path.split("/")
    return (
        bool(path)
        and "\x00" not in path
        and all(p not in ("", ".", "..") for p in parts)
        and unicodedata.is_normalized("NFC", path)
    )


def fingerprint_from_dict(data: Any, *, where: str) -> Fingerprint:
    """A fingerprint file's content, checked: its root must match its files."""
    r = _Reader(where)
    top = r.obj(data, "(root)", ["scheme", "root", "file_count", "total_bytes", "files"])
    r.scheme(top["scheme"])
    root = r.hash32(top["root"], "root")
    if not isinstance(top["files"], list) or not top["files"]:
        raise r.fail("files", "expected a non-empty list")
    entries = []
    for i, item in enumerate(top["files"]):
        at = f"files[{i}]"
        f = r.obj(item, at, ["path", "size", "sha256"])
        entries.append(
            FileEntry(
                r.relpath(f["path"], f"{at}.path"),
                r.count(f["size"], f"{at}.size"),
                r.hash32(f["sha256"], f"{at}.sha256"),
            )
        )
    fingerprint = Fingerprint.of(entries)
    if len({e.path for e in entries}) != len(entries):
        raise r.fail("files", "a path appears twice")
    if r.count(top["file_count"], "file_count") != len(entries):
        raise r.fail("file_count", f"says {top['file_count']}, the list has {len(entries)}")
    if r.count(top["total_bytes"], "total_bytes") != fingerprint.total_bytes:
        raise r.fail("total_bytes", f"does not add up to {fingerprint.total_bytes}")
    if fingerprint.root != root:
        raise r.fail("root", f"does not match the files (they give {fingerprint.root_hex})")
    return fingerprint


def proof_from_dict(data: Any, *, where: str) -> Proof:
    """A proof file's content, checked for shape (not yet verified)."""
    r = _Reader(where)
    keys = ["scheme", "root", "path", "sha256", "index", "leaf_count", "siblings"]
    top = r.obj(data, "(root)", keys)
    r.scheme(top["scheme"])
    if not isinstance(top["siblings"], list):
        raise r.fail("siblings", "expected a list")
    return Proof(
        r.hash32(top["root"], "root"),
        r.relpath(top["path"], "path"),
        r.hash32(top["sha256"], "sha256"),
        r.count(top["index"], "index"),
        r.count(top["leaf_count"], "leaf_count"),
        tuple(r.hash32(s, f"siblings[{i}]") for i, s in enumerate(top["siblings"])),
    )


# ---------------------------------------------------------------------------------------------
# Reading the dataset (I/O).


@dataclass(frozen=True)
class PlannedFile:
    """A file found by :func:`scan`, with what it looked like then."""

    path: str  # relative, posix, NFC
    source: Path
    size: int
    mtime_ns: int


def _normalise(path: str) -> str:
    return unicodedata.normalize("NFC", path)


def _check_name(rel: str, source: Path) -> str:
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        raise FingerprintError("file name is not valid UTF-8", where=repr(str(source))) from None
    return _normalise(rel)


def _planned(rel: str, source: Path, st: os.stat_result) -> PlannedFile:
    return PlannedFile(_check_name(rel, source), source, st.st_size, st.st_mtime_ns)


def _walk(root: Path) -> Iterable[PlannedFile]:
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            raise FingerprintError(
                "folder vanished while being listed", where=str(folder)
            ) from None
        except OSError as exc:
            raise FingerprintError(
                f"cannot list folder: {exc.strerror}", where=str(folder)
            ) from None
        for entry in entries:
            source = Path(entry.path)
            try:
                st = os.stat(entry.path)  # follows symbolic links
            except FileNotFoundError:
                what = "broken symbolic link" if entry.is_symlink() else "file vanished"
                raise FingerprintError(what, where=str(source)) from None
            except OSError as exc:
                raise FingerprintError(f"cannot stat: {exc.strerror}", where=str(source)) from None
            if stat.S_ISDIR(st.st_mode):
                if entry.is_symlink():
                    raise FingerprintError(
                        "symbolic link to a folder; fingerprint the folder itself",
                        where=str(source),
                    )
                stack.append(source)
            elif stat.S_ISREG(st.st_mode):
                yield _planned(source.relative_to(root).as_posix(), source, st)
            else:
                raise FingerprintError("not a regular file or folder", where=str(source))


def scan(paths: Sequence[str | Path]) -> list[PlannedFile]:
    """Every file under ``paths``, sorted by relative path (see the module's scheme)."""
    if not paths:
        raise FingerprintError("no files or folders given")
    planned: dict[str, PlannedFile] = {}
    for given in paths:
        p = Path(given)
        try:
            st = os.stat(p)
        except FileNotFoundError:
            raise FingerprintError("not found", where=str(p)) from None
        except OSError as exc:
            raise FingerprintError(f"cannot stat: {exc.strerror}", where=str(p)) from None
        if stat.S_ISDIR(st.st_mode):
            found: Iterable[PlannedFile] = _walk(p)
        elif stat.S_ISREG(st.st_mode):
            found = [_planned(p.name, p, st)]
        else:
            raise FingerprintError("not a regular file or folder", where=str(p))
        for item in found:
            other = planned.get(item.path)
            if other is not None:
                raise FingerprintError(
                    f"two files have the relative path {item.path!r}: {other.source} and "
                    f"{item.source}",
                    where=str(p),
                )
            planned[item.path] = item
    if not planned:
        raise FingerprintError("no files found", where=", ".join(str(p) for p in paths))
    return sorted(planned.values(), key=lambda f: f.path.encode("utf-8"))


def hash_file(
    planned: PlannedFile, buffer: bytearray | None = None, progress: Progress | None = None
) -> FileEntry:
    """SHA-256 of one file, refusing a file that vanishes or changes while it is read.

    Reads with ``readinto`` into one reused buffer (1 MiB): constant memory for any size.
    """
    buf = buffer if buffer is not None else bytearray(CHUNK_SIZE)
    view = memoryview(buf)
    where = str(planned.source)
    try:
        f = open(planned.source, "rb", buffering=0)  # noqa: SIM115 (closed below)
    except FileNotFoundError:
        raise FingerprintError("file vanished before it could be read", where=where) from None
    except OSError as exc:
        raise FingerprintError(f"cannot read: {exc.strerror}", where=where) from None
    digest = hashlib.sha256()
    read = 0
    try:
        with f:
            before = os.fstat(f.fileno())
            if (before.st_size, before.st_mtime_ns) != (planned.size, planned.mtime_ns):
                raise FingerprintError("file changed since the folder was listed", where=where)
            while n := f.readinto(buf):
                digest.update(view[:n])
                read += n
                if progress is not None:
                    progress(n)
            after = os.fstat(f.fileno())
    except OSError as exc:
        if isinstance(exc, FingerprintError):
            raise
        raise FingerprintError(f"read failed: {exc.strerror}", where=where) from None
    if read != before.st_size or (after.st_size, after.st_mtime_ns) != (
        before.st_size,
        before.st_mtime_ns,
    ):
        raise FingerprintError("file changed while being read", where=where)
    try:
        now = os.stat(planned.source)
    except FileNotFoundError:
        raise FingerprintError("file vanished while being read", where=where) from None
    except OSError as exc:
        raise FingerprintError(f"cannot stat: {exc.strerror}", where=where) from None
    if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
        raise FingerprintError("file replaced while being read", where=where)
    return FileEntry(planned.path, read, digest.digest())


def fingerprint_files(
    planned: Sequence[PlannedFile], progress: Progress | None = None
) -> Fingerprint:
    """Hash the planned files (one reused buffer) and build the fingerprint."""
    buffer = bytearray(CHUNK_SIZE)
    return Fingerprint.of(hash_file(p, buffer, progress) for p in planned)


def fingerprint_paths(paths: Sequence[str | Path], progress: Progress | None = None) -> Fingerprint:
    """Scan and fingerprint files and folders."""
    return fingerprint_files(scan(paths), progress)


def relative_posix(path: str) -> str:
    """A user-typed relative path in the form the fingerprint uses."""
    return _normalise(PurePosixPath(path.replace(os.sep, "/")).as_posix()).removeprefix("./")
