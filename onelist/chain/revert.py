"""Turn revert data into ``ErrorName(arg=value, ...)`` using the ABIs of our contracts.

Why: the contracts revert with custom errors that name the component, the problem and the values
involved (``ListingRegistryGradeNotListable(listingId, grade)``); shown as a bare 4-byte selector
they explain nothing. Decoding is pure (revert data and ABIs in, a :class:`DecodedRevert` out), so
it is tested without a chain; :mod:`onelist.chain.connection` does the I/O around it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils import keccak, to_checksum_address

from onelist.errors import OnelistError

ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")  # Error(string), from require/revert("...")
PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256), from the compiler's checks

PANIC_CODES = {
    0x00: "generic compiler panic",
    0x01: "assert failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "corrupt storage byte array",
    0x31: "pop() on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialised function pointer",
}


@dataclass(frozen=True)
class ErrorSignature:
    """A custom error from an ABI: its name, canonical argument types and argument names."""

    name: str
    types: tuple[str, ...]
    arg_names: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"{self.name}({','.join(self.types)})"

    @property
    def selector(self) -> bytes:
        return keccak(text=self.text)[:4]


@dataclass(frozen=True)
class DecodedRevert:
    """What a revert said. ``name`` is the custom error's name, ``Error`` for a reason string,
    ``Panic`` for a compiler check, or empty when the data matched nothing we know."""

    name: str
    args: tuple[Any, ...]
    arg_names: tuple[str, ...]
    data: bytes

    def __str__(self) -> str:
        if not self.data:
            return "reverted without data"
        if not self.name:
            return f"unknown error 0x{self.data[:4].hex()} (data 0x{self.data.hex()})"
        if self.name == "Error":
            return f"Error({self.args[0]!r})"
        if self.name == "Panic":
            code = int(self.args[0])
            return f"Panic(0x{code:02x}: {PANIC_CODES.get(code, 'unknown panic code')})"
        shown = [
            f"{n}={format_value(v)}" if n else format_value(v)
            for n, v in zip(self.arg_names, self.args, strict=True)
        ]
        return f"{self.name}({', '.join(shown)})"


class TransactionFailed(OnelistError, RuntimeError):
    """The node refused a transaction (nonce, funds, gas) or it was not mined in time."""


class TransactionReverted(TransactionFailed):
    """A transaction or call reverted; ``revert`` says with which error and values."""

    def __init__(
        self, revert: DecodedRevert, *, where: str | None = None, action: str = ""
    ) -> None:
        self.revert = revert
        prefix = f"{action} reverted: " if action else "reverted: "
        super().__init__(prefix + str(revert), where=where)

    @property
    def error_name(self) -> str:
        return self.revert.name

    @property
    def error_args(self) -> tuple[Any, ...]:
        return self.revert.args


def format_value(value: Any) -> str:
    """Readable argument values: bytes as 0x-hex, nested tuples and lists recursively."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (tuple, list)):
        inner = ", ".join(format_value(v) for v in value)
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def canonical_type(param: Mapping[str, Any]) -> str:
    """The canonical ABI type of a parameter, expanding tuples: ``(uint256,address)[]``."""
    typ = str(param["type"])
    if typ.startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in param.get("components", []))
        return f"({inner}){typ[len('tuple') :]}"
    return typ


def error_signatures(abis: Iterable[Sequence[Mapping[str, Any]]]) -> dict[bytes, ErrorSignature]:
    """Every custom error in the given ABIs, by 4-byte selector (the same error declared in
    several contracts is one entry)."""
    table: dict[bytes, ErrorSignature] = {}
    for abi in abis:
        for item in abi:
            if item.get("type") != "error":
                continue
            inputs = item.get("inputs", [])
            sig = ErrorSignature(
                name=str(item["name"]),
                types=tuple(canonical_type(p) for p in inputs),
                arg_names=tuple(str(p.get("name", "")) for p in inputs),
            )
            table.setdefault(sig.selector, sig)
    return table


def _normalise(typ: str, value: Any) -> Any:
    if typ == "address" and isinstance(value, str):
        return to_checksum_address(value)
    return value


def decode_revert(data: bytes, errors: Mapping[bytes, ErrorSignature]) -> DecodedRevert:
    """Decode revert data against Error(string), Panic(uint256) and the given custom errors."""
    selector, body = data[:4], data[4:]
    try:
        if selector == ERROR_STRING_SELECTOR:
            return DecodedRevert("Error", tuple(decode(["string"], body)), ("reason",), data)
        if selector == PANIC_SELECTOR:
            return DecodedRevert("Panic", tuple(decode(["uint256"], body)), ("code",), data)
        sig = errors.get(selector)
        if sig is not None:
            values = decode(list(sig.types), body)
            args = tuple(_normalise(t, v) for t, v in zip(sig.types, values, strict=True))
            return DecodedRevert(sig.name, args, sig.arg_names, data)
    except (DecodingError, ValueError, OverflowError):
        pass  # malformed data: reported as unknown below, with the raw bytes
    return DecodedRevert("", (), (), data)


def revert_data(error: object) -> bytes | None:
    """Find the revert data in a JSON-RPC error's ``data`` field or in a web3 exception.

    Nodes put it in different places: anvil, geth and Besu give a hex string in ``data``;
    ganache a dict with ``result`` (or ``data``); some prefix the hex with ``Reverted ``.
    Returns None when there is no revert data at all (e.g. out of gas, a bad nonce).
    """
    if isinstance(error, bytes):
        return error
    if isinstance(error, str):
        text = error.strip()
        if text.startswith("Reverted "):
            text = text[len("Reverted ") :]
        if text.startswith("0x"):
            try:
                return bytes.fromhex(text[2:])
            except ValueError:
                return None
        return None
    if isinstance(error, Mapping):
        for key in ("data", "result", "originalError"):
            if key in error:
                found = revert_data(error[key])
                if found is not None:
                    return found
        return None
    data = getattr(error, "data", None)
    if data is not None:
        found = revert_data(data)
        if found is not None:
            return found
    response = getattr(error, "rpc_response", None)
    if isinstance(response, Mapping):
        return revert_data(response.get("error"))
    return None
