"""Event data decoders compiled once per event from its ABI types: eth-abi's semantics, faster.

eth-abi decodes a value through a stream object, three method calls and a padding check per
32-byte word, and its tuple decoder walks every static value twice (once to validate pointers);
about 10 000 consortium logs a second. Our events' data are a head of static values (integers,
booleans, addresses, ``bytesN``, static structs such as ``ListingRecord``) plus, at most, a
top-level ``bytes`` or ``string``; for those :func:`compile_decoder` reads each value straight
from its offset in the head, with the checks eth-abi's strict mode makes (zero padding, integer
ranges, booleans 0 or 1, pointers inside the data, the tail's length and padding), and raises
eth-abi's own :class:`~eth_abi.exceptions.DecodingError` subclasses. Any other layout (arrays,
dynamic structs) is decoded by eth-abi itself. Tests check both give the same values and
refuse the same data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eth_abi.decoding import ContextFramesBytesIO
from eth_abi.exceptions import (
    DecodingError,
    InsufficientDataBytes,
    InvalidPointer,
    NonEmptyPaddingBytes,
)
from eth_abi.grammar import ABIType, BasicType, TupleType, parse
from eth_abi.registry import registry as abi_registry

DataDecoder = Callable[[bytes], tuple[Any, ...]]
"""An event's data bytes → the tuple of its non-indexed values."""

Reader = Callable[[bytes, int], Any]
"""(data, byte offset of the value's head slot) → the value."""

_ZERO = bytes(32)
_stream: Callable[[bytes], Any] = ContextFramesBytesIO


def _uint(bits: int) -> Reader:
    limit = 1 << bits

    def read(data: bytes, at: int) -> int:
        value = int.from_bytes(data[at : at + 32], "big")
        if value >= limit:
            raise NonEmptyPaddingBytes(f"uint{bits} at byte {at} has non-zero padding")
        return value

    return read


def _int(bits: int) -> Reader:
    half = 1 << (bits - 1)

    def read(data: bytes, at: int) -> int:
        value = int.from_bytes(data[at : at + 32], "big", signed=True)
        if not -half <= value < half:
            raise NonEmptyPaddingBytes(f"int{bits} at byte {at} is not sign-extended")
        return value

    return read


def _bool(data: bytes, at: int) -> bool:
    value = int.from_bytes(data[at : at + 32], "big")
    if value > 1:
        raise NonEmptyPaddingBytes(f"bool at byte {at} is neither 0 nor 1")
    return value == 1


def _address(data: bytes, at: int) -> str:
    if data[at : at + 12] != _ZERO[:12]:
        raise NonEmptyPaddingBytes(f"address at byte {at} has non-zero padding")
    return "0x" + data[at + 12 : at + 32].hex()


def _fixed_bytes(size: int) -> Reader:
    padding = _ZERO[size:]

    def read(data: bytes, at: int) -> bytes:
        if data[at + size : at + 32] != padding:
            raise NonEmptyPaddingBytes(f"bytes{size} at byte {at} has non-zero padding")
        return data[at : at + size]

    return read


def _static(typ: ABIType) -> tuple[Reader, int] | None:
    """The reader of a static type and its size in 32-byte words; None if not supported."""
    if typ.arrlist:
        return None
    if isinstance(typ, TupleType):
        parts = [_static(component) for component in typ.components]
        readers: list[tuple[Reader, int]] = []
        words = 0
        for part in parts:
            if part is None:
                return None
            readers.append((part[0], 32 * words))
            words += part[1]

        def read(data: bytes, at: int) -> tuple[Any, ...]:
            return tuple(reader(data, at + offset) for reader, offset in readers)

        return read, words
    if not isinstance(typ, BasicType):
        return None
    base, sub = typ.base, typ.sub
    if base == "uint" and isinstance(sub, int):
        return _uint(sub), 1
    if base == "int" and isinstance(sub, int):
        return _int(sub), 1
    if base == "bool":
        return _bool, 1
    if base == "address":
        return _address, 1
    if base == "bytes" and isinstance(sub, int):
        return _fixed_bytes(sub), 1
    return None  # fixed-point numbers, function pointers


def _dynamic(typ: ABIType, head_start: int) -> Reader | None:
    """The reader of a top-level ``bytes`` or ``string`` (its head slot holds the offset).

    An offset below ``head_start`` or past the data is refused. eth-abi takes ``head_start`` to
    be 32 bytes per top-level value, whatever its size (so an offset into a static struct's
    head is accepted); we do the same, so both accept exactly the same data.
    """
    if not isinstance(typ, BasicType) or typ.arrlist or typ.base not in ("bytes", "string"):
        return None
    if typ.sub is not None:
        return None
    text = typ.base == "string"

    def read(data: bytes, at: int) -> Any:
        offset = int.from_bytes(data[at : at + 32], "big")
        if offset < head_start or offset >= len(data):
            raise InvalidPointer(f"invalid pointer {offset} at byte {at}")
        length_word = data[offset : offset + 32]
        if len(length_word) < 32:
            raise InsufficientDataBytes(f"no length word at byte {offset}")
        length = int.from_bytes(length_word, "big")
        padded = (length + 31) // 32 * 32
        body = data[offset + 32 : offset + 32 + padded]
        if len(body) < padded:
            raise InsufficientDataBytes(f"tried to read {padded} bytes, only got {len(body)}")
        if body[length:] != bytes(padded - length):
            raise NonEmptyPaddingBytes(f"padding of the value at byte {offset} is not empty")
        value = body[:length]
        if not text:
            return value
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodingError(f"string at byte {offset} is not UTF-8: {exc.reason}") from None

    return read


def eth_abi_decoder(types: Sequence[str]) -> DataDecoder:
    """eth-abi's own strict tuple decoder of ``types`` (the fallback, and the tests' reference)."""
    decoder = abi_registry.get_tuple_decoder(*types, strict=True)

    def decode(data: bytes) -> tuple[Any, ...]:
        try:
            values: tuple[Any, ...] = decoder(_stream(data))
        except UnicodeDecodeError as exc:
            raise DecodingError(f"a string is not UTF-8: {exc.reason}") from None
        except OverflowError:  # a length word too large to read that many bytes
            raise DecodingError("a length is larger than the data") from None
        return values

    return decode


def compile_decoder(types: Sequence[str]) -> DataDecoder:
    """A decoder of data holding values of ``types`` (canonical ABI type strings)."""
    parsed = [parse(t) for t in types]
    statics = [None if t.is_dynamic else _static(t) for t in parsed]
    head_size = 32 * sum(s[1] if s is not None else 1 for s in statics)
    readers: list[tuple[Reader, int]] = []
    at = 0
    for typ, static in zip(parsed, statics, strict=True):
        if static is not None:
            readers.append((static[0], at))
            at += 32 * static[1]
            continue
        dynamic = _dynamic(typ, 32 * len(parsed)) if typ.is_dynamic else None
        if dynamic is None:
            return eth_abi_decoder(types)
        readers.append((dynamic, at))
        at += 32

    def decode(data: bytes) -> tuple[Any, ...]:
        if len(data) < head_size:
            raise InsufficientDataBytes(f"tried to read {head_size} bytes, only got {len(data)}")
        return tuple([reader(data, offset) for reader, offset in readers])

    return decode
