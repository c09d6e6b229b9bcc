"""Reading and writing the toolkit's files: strict JSON in, atomic writes out.

An output file is written to a temporary file in the same folder, flushed to disk and renamed
over the target, so a reader sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from listing.errors import DocumentError, InputFileError, Issue
from onelist.catalogue import nesting_exceeds

__all__ = ["dump_json", "parse_json", "read_file", "read_json_file", "write_atomic"]


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


MAX_DEPTH = 64


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:]')


def _duplicate_position(text: str, key: str) -> str:
    """Where ``key`` is written a second time in one object, as ``line L column C``."""
    stack: list[set[str] | None] = []
    pending: re.Match[str] | None = None
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token == ":" and pending is not None and stack and stack[-1] is not None:
            name = json.loads(pending.group())
            if name == key and name in stack[-1]:
                start = pending.start()
                line = text.count("\n", 0, start) + 1
                column = start - (text.rfind("\n", 0, start) + 1) + 1
                return f"line {line} column {column}"
            stack[-1].add(name)
        pending = match if token.startswith('"') else None
        if token == "{":
            stack.append(set())
        elif token == "[":
            stack.append(None)
        elif token in "]}" and stack:
            stack.pop()
    return "(root)"


def parse_json(text: bytes | str, *, where: str, error: type[DocumentError] = DocumentError) -> Any:
    """Parse JSON strictly (RFC 8259, I-JSON): UTF-8, no duplicate keys, no NaN or Infinity.

    A UTF-8 byte-order mark is ignored. Failures raise ``error`` naming ``where`` and the line
    and column.
    """
    if isinstance(text, bytes):
        text = text.removeprefix(b"\xef\xbb\xbf")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            issue = Issue("(root)", f"not UTF-8 (byte {exc.start}): {exc.reason}")
            raise error([issue], where=where) from None
    if nesting_exceeds(text, MAX_DEPTH):
        raise error([Issue("(root)", f"JSON nested deeper than {MAX_DEPTH}")], where=where)
    try:
        return json.loads(
            text, object_pairs_hook=_refuse_duplicates, parse_constant=_refuse_constant
        )
    except json.JSONDecodeError as exc:
        issue = Issue(f"line {exc.lineno} column {exc.colno}", f"malformed JSON: {exc.msg}")
        raise error([issue], where=where) from None
    except _DuplicateKey as exc:
        shown = json.dumps(exc.key, ensure_ascii=False)
        issue = Issue(_duplicate_position(text, exc.key), f"duplicate key {shown}")
        raise error([issue], where=where) from None
    except ValueError as exc:  # NaN/Infinity, or an integer with too many digits
        raise error([Issue("(root)", f"not acceptable JSON: {exc}")], where=where) from None


def read_file(path: str | Path, *, max_bytes: int, what: str) -> bytes:
    """Read a whole (small) input file, or :class:`InputFileError` naming it."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            data = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputFileError(f"{what} not found", where=str(p)) from None
    except IsADirectoryError:
        raise InputFileError(f"{what} is a folder, expected a file", where=str(p)) from None
    except OSError as exc:
        raise InputFileError(f"cannot read {what}: {exc.strerror}", where=str(p)) from None
    if len(data) > max_bytes:
        raise InputFileError(f"{what} is larger than {max_bytes} bytes", where=str(p))
    return data


def read_json_file(
    path: str | Path,
    *,
    what: str,
    max_bytes: int = 1 << 20,
    error: type[DocumentError] = DocumentError,
) -> Any:
    """Read and strictly parse a JSON file."""
    return parse_json(read_file(path, max_bytes=max_bytes, what=what), where=str(path), error=error)


def dump_json(value: Any) -> str:
    """JSON as the toolkit writes it: UTF-8 (Chinese as is), indented, one trailing newline."""
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def write_atomic(path: str | Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` all at once: temp file in the same folder, fsync, rename."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except FileNotFoundError:
        raise InputFileError("output folder does not exist", where=str(folder)) from None
    except OSError as exc:
        raise InputFileError(f"cannot write here: {exc.strerror}", where=str(folder)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(exc, OSError):
            raise InputFileError(f"cannot write: {exc.strerror}", where=str(target)) from None
        raise
