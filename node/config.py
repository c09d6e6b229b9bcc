"""A node's configuration: which organisation it serves, where the chain and its index are.

Read from a TOML file (``onelist node run --config node.toml``), every value overridable on the
command line; errors name the TOML key. A node belongs to one organisation: a member exchange
(its code) or a regulator.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from onelist.errors import ConfigError

DEFAULT_DATA_DIR = Path(".onelist")


#: The ``range_process_min_logs`` that ``--range-process`` sets: a range this large foretells
#: tens of thousands of events to come, over which the second process's start-up (2-3 s) pays.
RANGE_PROCESS_MIN_LOGS = 1_000


@dataclass(frozen=True)
class NodeConfig:
    organisation: str  # an exchange code ("SH") or "regulator"
    rpc_url: str
    deployment: Path
    database_url: str
    confirmations: int = 0  # QBFT has instant finality; proof-of-work style chains want more
    poll_interval: float = 0.5  # seconds between head checks when caught up
    rollback_window: int = 128  # blocks kept to find the common ancestor after a reorg
    rpc_timeout: float = 10.0
    rpc_retries: int = 4
    max_range: int = 50_000  # blocks per eth_getLogs query at most
    ready_lag: int = 5  # /ready is 503 while the index is further than this behind the head
    ws_url: str | None = None  # a websocket for new-head notifications (polling without one)
    http_host: str = "127.0.0.1"
    http_port: int = 8600
    operator_keystore: str | None = None  # the exchange operator's keystore file (staff sends)
    operator_passphrase_file: str | None = None  # else $ONELIST_OPERATOR_PASSPHRASE
    kept_answers_mb: float = 128.0  # catalogue answers kept in memory (node.api.cache); 0: none
    # A range of at least this many logs, with more to fetch, starts a second process that
    # decodes and projects while this one writes (node.indexer.range_process): a catching-up
    # index ~1.5x faster for ~215 MB more memory. 0 (the default): one process.
    range_process_min_logs: int = 0

    def with_overrides(self, **values: Any) -> NodeConfig:
        return replace(self, **{k: v for k, v in values.items() if v is not None})


_FIELDS: dict[str, type] = {
    "organisation": str,
    "rpc_url": str,
    "deployment": str,
    "database_url": str,
    "confirmations": int,
    "poll_interval": float,
    "rollback_window": int,
    "rpc_timeout": float,
    "rpc_retries": int,
    "max_range": int,
    "ready_lag": int,
    "ws_url": str,
    "http_host": str,
    "http_port": int,
    "operator_keystore": str,
    "operator_passphrase_file": str,
    "kept_answers_mb": float,
    "range_process_min_logs": int,
}


def default_config(organisation: str = "SH", data_dir: Path = DEFAULT_DATA_DIR) -> NodeConfig:
    """The embedded default: the local chain of ``onelist up`` and a SQLite file per node."""
    return NodeConfig(
        organisation=organisation,
        rpc_url="http://127.0.0.1:8545",
        ws_url="ws://127.0.0.1:8545",
        deployment=data_dir / "deployment.json",
        database_url=f"sqlite:///{data_dir / 'nodes' / organisation.lower() / 'index.db'}",
    )


def parse_config(text: str, where: str = "node config") -> NodeConfig:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", where=where) from None
    table = doc.get("node")
    if not isinstance(table, dict):
        raise ConfigError("a [node] table is required", where=where)
    values: dict[str, Any] = {}
    for key, value in table.items():
        expected = _FIELDS.get(key)
        if expected is None:
            known = ", ".join(_FIELDS)
            raise ConfigError(f"unknown key (known: {known})", where=f"{where}: node.{key}")
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ConfigError(
                f"a {expected.__name__} is required, not {type(value).__name__}",
                where=f"{where}: node.{key}",
            )
        values[key] = value
    missing = [
        k for k in ("organisation", "rpc_url", "deployment", "database_url") if k not in values
    ]
    if missing:
        raise ConfigError(f"missing keys: {', '.join(missing)}", where=f"{where}: node")
    values["deployment"] = Path(values["deployment"])
    config = NodeConfig(**values)
    for name in ("confirmations", "rpc_retries", "range_process_min_logs", "kept_answers_mb"):
        if getattr(config, name) < 0:
            raise ConfigError("must not be negative", where=f"{where}: node.{name}")
    for name in ("rollback_window", "max_range", "ready_lag"):
        if getattr(config, name) < 1:
            raise ConfigError("must be at least 1", where=f"{where}: node.{name}")
    for name in ("poll_interval", "rpc_timeout"):
        if getattr(config, name) <= 0:
            raise ConfigError("must be positive", where=f"{where}: node.{name}")
    return config


def load_config(path: Path) -> NodeConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", where=str(path)) from None
    return parse_config(text, where=str(path))
