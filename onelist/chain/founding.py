"""The founding consortium, read from a TOML file: pure parsing and validation, no I/O but the read.

Every error names the TOML path that is wrong (``exchanges[1].province: ...``), so a consortium
secretariat fixing a file sees at once what to change.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import is_checksum_address, is_hex_address, to_checksum_address

from onelist.codes import exchange_code
from onelist.errors import ConfigError

MIN_VOTING_PERIOD = 60
MAX_VOTING_PERIOD = 90 * 24 * 3600


@dataclass(frozen=True)
class FoundingExchange:
    code: str
    name: str
    province: int
    operator: str


@dataclass(frozen=True)
class FoundingRegulator:
    name: str
    province: int  # 0: national
    account: str


@dataclass(frozen=True)
class Founding:
    exchanges: tuple[FoundingExchange, ...]
    regulators: tuple[FoundingRegulator, ...]
    home_bps: int
    granting_bps: int
    consortium_bps: int
    voting_period: int
    source_sha256: str

    def exchange(self, code: str) -> FoundingExchange:
        for ex in self.exchanges:
            if ex.code == code:
                return ex
        raise KeyError(code)


def _table(doc: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = doc.get(key)
    if not isinstance(value, dict):
        raise ConfigError("a table is required", where=f"{where}{key}")
    return value


def _int(table: dict[str, Any], key: str, where: str, lo: int, hi: int) -> int:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"an integer from {lo} to {hi} is required", where=f"{where}.{key}")
    if not lo <= value <= hi:
        raise ConfigError(f"{value} is outside {lo}..{hi}", where=f"{where}.{key}")
    return value


def _text(table: dict[str, Any], key: str, where: str, max_len: int = 100) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("a non-empty string is required", where=f"{where}.{key}")
    if len(value) > max_len:
        raise ConfigError(f"longer than {max_len} characters", where=f"{where}.{key}")
    return value


def _address(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not is_hex_address(value):
        raise ConfigError("a 0x-prefixed 20-byte hex address is required", where=f"{where}.{key}")
    if value != value.lower() and not is_checksum_address(value):
        raise ConfigError(f"{value} has a wrong EIP-55 checksum", where=f"{where}.{key}")
    return to_checksum_address(value)


def _province(table: dict[str, Any], key: str, where: str, allow_national: bool) -> int:
    value = _int(table, key, where, 0, 829999)
    if value == 0 and allow_national:
        return 0
    if not 110000 <= value <= 829999 or value % 10000 != 0:
        raise ConfigError(
            f"{value} is not a GB/T 2260 province code (e.g. 310000)", where=f"{where}.{key}"
        )
    return value


def parse_founding(text: str) -> Founding:
    """Parse and validate the founding consortium TOML."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}") from None
    consortium = _table(doc, "consortium", "")
    fees = _table(consortium, "fee_schedule", "consortium.")
    where = "consortium.fee_schedule"
    home = _int(fees, "home_bps", where, 0, 10_000)
    granting = _int(fees, "granting_bps", where, 0, 10_000)
    cons = _int(fees, "consortium_bps", where, 0, 10_000)
    if home + granting + cons > 10_000:
        raise ConfigError("the three shares add up to more than 10000 basis points", where=where)
    voting = _int(
        consortium, "voting_period_seconds", "consortium", MIN_VOTING_PERIOD, MAX_VOTING_PERIOD
    )

    raw_exchanges = doc.get("exchanges")
    if not isinstance(raw_exchanges, list) or not raw_exchanges:
        raise ConfigError("at least one [[exchanges]] entry is required", where="exchanges")
    exchanges: list[FoundingExchange] = []
    seen_accounts: dict[str, str] = {}

    def claim(account: str, where: str) -> None:
        if account in seen_accounts:
            raise ConfigError(f"{account} is already used at {seen_accounts[account]}", where=where)
        seen_accounts[account] = where

    for i, entry in enumerate(raw_exchanges):
        where = f"exchanges[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError("a table is required", where=where)
        code = _text(entry, "code", where, 8)
        try:
            exchange_code(code)
        except ValueError as exc:
            raise ConfigError(str(exc), where=f"{where}.code") from None
        if any(ex.code == code for ex in exchanges):
            raise ConfigError(f"exchange code {code} appears twice", where=f"{where}.code")
        operator = _address(entry, "operator", where)
        claim(operator, f"{where}.operator")
        exchanges.append(
            FoundingExchange(
                code=code,
                name=_text(entry, "name", where),
                province=_province(entry, "province", where, allow_national=False),
                operator=operator,
            )
        )

    raw_regulators = doc.get("regulators", [])
    if not isinstance(raw_regulators, list):
        raise ConfigError("an array of tables is required", where="regulators")
    regulators: list[FoundingRegulator] = []
    for i, entry in enumerate(raw_regulators):
        where = f"regulators[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError("a table is required", where=where)
        account = _address(entry, "account", where)
        claim(account, f"{where}.account")
        regulators.append(
            FoundingRegulator(
                name=_text(entry, "name", where),
                province=_province(entry, "province", where, allow_national=True),
                account=account,
            )
        )
    return Founding(
        exchanges=tuple(exchanges),
        regulators=tuple(regulators),
        home_bps=home,
        granting_bps=granting,
        consortium_bps=cons,
        voting_period=voting,
        source_sha256=hashlib.sha256(text.encode()).hexdigest(),
    )


def load_founding(path: Path) -> Founding:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", where=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", where=str(path)) from None
    try:
        return parse_founding(text)
    except ConfigError as exc:
        raise ConfigError(
            exc.message, where=f"{path}: {exc.where}" if exc.where else str(path)
        ) from None


def constructor_args(
    founding: Founding, listing_registry: str, licence_registry: str
) -> tuple[Any, ...]:
    """The Consortium constructor's arguments, in ABI order."""
    return (
        [(exchange_code(e.code), e.name, e.province, e.operator) for e in founding.exchanges],
        [(r.account, r.province, r.name) for r in founding.regulators],
        [founding.home_bps, founding.granting_bps, founding.consortium_bps],
        founding.voting_period,
        listing_registry,
        licence_registry,
    )
