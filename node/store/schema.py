"""The node's SQL index: tables that answer what users ask, an append-only audit trail of every
event, and the indexer's own bookkeeping. SQLAlchemy Core, portable between SQLite and PostgreSQL.

Conventions: addresses are EIP-55 checksum strings; hashes and ids are 0x-prefixed lower-case hex;
exchange codes are text ("SH"); times are unix seconds; amounts are integer fen. The contracts'
"until reinstated" (2**64 - 1) is stored as ``INDEFINITE`` (the largest BIGINT). Every state table
is a pure fold of the ``events`` table (``node/projections``), so it can be rebuilt from it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

INDEFINITE = 2**63 - 1

metadata: MetaData = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _address(name: str, **kw: object) -> Column[str]:
    return Column(name, String(42), **kw)  # type: ignore[arg-type]


def _hash(name: str, **kw: object) -> Column[str]:
    return Column(name, String(66), **kw)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- membership

exchanges = Table(
    "exchanges",
    metadata,
    Column("code", String(8), primary_key=True),
    Column("idx", Integer, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("province", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # active | removed
    Column("first_operator", String(42), nullable=False),
    Column("proposal_id", BigInteger, nullable=False),  # 0: founding member
    Column("granting_suspended_until", BigInteger, nullable=False, default=0),
    Column("admitted_block", BigInteger, nullable=False),
    Column("removed_block", BigInteger),
)

operators = Table(
    "operators",
    metadata,
    _address("address", primary_key=True),
    Column("exchange", String(8), nullable=False, index=True),
    Column("active", Boolean, nullable=False),
    _address("added_by"),
    Column("added_block", BigInteger, nullable=False),
    Column("removed_block", BigInteger),
)

regulators = Table(
    "regulators",
    metadata,
    _address("address", primary_key=True),
    Column("name", Text, nullable=False),
    Column("province", Integer, nullable=False),  # 0: national
    Column("active", Boolean, nullable=False),
    Column("proposal_id", BigInteger, nullable=False),
    Column("added_block", BigInteger, nullable=False),
    Column("removed_block", BigInteger),
)

participants = Table(
    "participants",
    metadata,
    _address("address", primary_key=True),
    Column("registered_by", String(8), nullable=False, index=True),
    Column("roles", Integer, nullable=False),  # bit 0 provider, bit 1 licensee
    _hash("identity_hash", nullable=False),
    _address("actor", nullable=False),
    Column("suspended_until", BigInteger, nullable=False, default=0),  # provider suspension
    Column("registered_block", BigInteger, nullable=False),
    Column("registered_at", BigInteger, nullable=False),
)

fee_schedules = Table(
    "fee_schedules",
    metadata,
    Column("block_number", BigInteger, primary_key=True),
    Column("log_index", Integer, primary_key=True),
    Column("home_bps", Integer, nullable=False),
    Column("granting_bps", Integer, nullable=False),
    Column("consortium_bps", Integer, nullable=False),
    Column("proposal_id", BigInteger, nullable=False),
)

parameters = Table(
    "parameters",
    metadata,
    Column("name", String(64), primary_key=True),  # e.g. voting_period
    Column("value", BigInteger, nullable=False),
    Column("proposal_id", BigInteger, nullable=False),
    Column("block_number", BigInteger, nullable=False),
)

# ----------------------------------------------------------------------------- governance

proposals = Table(
    "proposals",
    metadata,
    Column("proposal_id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", Integer, nullable=False),
    Column("exchange", String(8), nullable=False),
    _address("actor", nullable=False),
    Column("data", Text, nullable=False),  # 0x-hex of the ABI-encoded arguments
    Column("deadline", BigInteger, nullable=False),
    Column("required", Integer, nullable=False),
    Column("yes", Integer, nullable=False, default=0),
    Column("no", Integer, nullable=False, default=0),
    Column("executed", Boolean, nullable=False, default=False),
    _address("executed_by"),
    Column("created_block", BigInteger, nullable=False),
    Column("executed_block", BigInteger),
)

votes = Table(
    "votes",
    metadata,
    Column("proposal_id", BigInteger, primary_key=True),
    Column("exchange", String(8), primary_key=True),
    _address("actor", nullable=False),
    Column("support", Boolean, nullable=False),
    Column("block_number", BigInteger, nullable=False),
)

# ----------------------------------------------------------------------------- listings

_POLICY_COLUMNS = (
    ("grade", Integer),
    ("open_class", Integer),
    ("personal_info", Integer),
    ("pi_flags", Integer),
    ("consent_evidence", String(66)),
    ("risk_assessment", String(66)),
    ("authorisation_id", String(66)),
    ("purposes", BigInteger),
    ("max_term_days", Integer),
    ("territory", Integer),
    ("onward_transfer", Integer),
    ("model_training", Boolean),
    ("delivery_modes", Integer),
    ("granting_exchanges", String(80)),  # uint256 bitmask as decimal text; "0": every member
    ("price_floor_fen", BigInteger),
)

#: Record and policy columns, shared by ``listings`` (current version) and ``listing_versions``.
POLICY_COLUMN_NAMES = tuple(name for name, _ in _POLICY_COLUMNS)


def _policy_columns() -> list[Column[object]]:
    return [Column(name, typ, nullable=False) for name, typ in _POLICY_COLUMNS]


def _catalogue_columns() -> list[Column[object]]:
    return [
        Column("title", Text),
        Column("description", Text),
        Column("keywords", Text),  # JSON array
        Column("category", Text),
        Column("product_form", String(32)),
        Column("price_fen", BigInteger),
        Column("catalogue", Text),  # the whole decoded catalogue as JSON
        Column("catalogue_error", Text),  # why the catalogue bytes could not be decoded
    ]


listings: Table = Table(
    "listings",
    metadata,
    _hash("listing_id", primary_key=True),
    _address("provider", nullable=False, index=True),
    Column("home_exchange", String(8), nullable=False, index=True),
    Column("status", String(24), nullable=False),  # listed | consent_withdrawn | delisted
    Column("version", Integer, nullable=False),
    _hash("manifest_hash", nullable=False),
    _hash("fingerprint", nullable=False),
    *_policy_columns(),
    *_catalogue_columns(),
    Column("suspended_until", BigInteger, nullable=False, default=0),
    Column("seq", BigInteger, nullable=False),  # the last sequence number seen
    Column("licence_count", Integer, nullable=False, default=0),
    Column("revenue_fen", BigInteger, nullable=False, default=0),
    Column("listed_block", BigInteger, nullable=False),
    Column("listed_at", BigInteger, nullable=False),
    Column("updated_block", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    # The listing's latest exclusive licence (revision 0006): it stands while that licence is
    # active and its end has not passed (the contract allows no other exclusive grant meanwhile).
    _hash("exclusive_licence_id"),
)

listing_versions: Table = Table(
    "listing_versions",
    metadata,
    _hash("listing_id", primary_key=True),
    Column("version", Integer, primary_key=True),
    _address("provider", nullable=False),
    Column("home_exchange", String(8), nullable=False),
    _address("actor", nullable=False),
    _hash("manifest_hash", nullable=False),
    _hash("fingerprint", nullable=False),
    *_policy_columns(),
    *_catalogue_columns(),
    Column("block_number", BigInteger, nullable=False),
    Column("block_time", BigInteger, nullable=False),
    _hash("tx_hash", nullable=False),
)

duplicate_attempts = Table(
    "duplicate_attempts",
    metadata,
    Column("block_number", BigInteger, primary_key=True),
    Column("log_index", Integer, primary_key=True),
    _hash("fingerprint", nullable=False, index=True),
    _address("provider", nullable=False),
    _address("actor", nullable=False),
    _hash("listing_id", nullable=False),
    Column("home_exchange", String(8), nullable=False),
    Column("block_time", BigInteger, nullable=False),
)

# ----------------------------------------------------------------------------- licences

licences = Table(
    "licences",
    metadata,
    _hash("licence_id", primary_key=True),
    _hash("listing_id", nullable=False, index=True),
    Column("version", Integer, nullable=False),
    _address("licensee", nullable=False, index=True),
    Column("granting_exchange", String(8), nullable=False, index=True),
    _address("actor", nullable=False),
    Column("purposes", BigInteger, nullable=False),
    Column("start", BigInteger, nullable=False),
    Column("end", BigInteger, nullable=False),
    Column("territory", Integer, nullable=False),
    Column("delivery_mode", Integer, nullable=False),
    Column("onward_transfer", Integer, nullable=False),
    Column("model_training", Boolean, nullable=False),
    Column("price_fen", BigInteger, nullable=False),
    _hash("settlement_hash", nullable=False),
    Column("deadline", BigInteger, nullable=False),
    Column("provider_fen", BigInteger, nullable=False),
    Column("home_fen", BigInteger, nullable=False),
    Column("granting_fen", BigInteger, nullable=False),
    Column("consortium_fen", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),  # active | revoked | terminated
    Column("suspended_until", BigInteger, nullable=False, default=0),
    Column("ended_reason", Integer),
    _hash("ended_evidence"),
    _address("ended_by"),
    Column("granted_block", BigInteger, nullable=False),
    Column("granted_at", BigInteger, nullable=False),
    Column("ended_block", BigInteger),
    # An exclusive licence of public data (ExclusiveLicenceGranted, revision 0006) and the hashes
    # of its approval document and open-auction record; NULL on other licences.
    Column("exclusive", Boolean, nullable=False, default=False, server_default=false()),
    _hash("approval_ref"),
    _hash("auction_ref"),
)
# The catalogue reads the active exclusive licences' ends once per indexed block (its answers'
# cache boundaries, queries_catalogue.suspension_ends): partial, so that read and the index
# hold only the few exclusive licences, not a scan of every licence (revision 0006).
EXCLUSIVE_LICENCE = licences.c.exclusive == true()
Index(
    "ix_licences_exclusive_end",
    licences.c.end,
    sqlite_where=EXCLUSIVE_LICENCE,
    postgresql_where=EXCLUSIVE_LICENCE,
)

# ----------------------------------------------------------------------------- oversight

suspensions = Table(
    "suspensions",
    metadata,
    Column("block_number", BigInteger, primary_key=True),
    Column("log_index", Integer, primary_key=True),
    Column("action", String(16), nullable=False),  # suspend | reinstate
    Column("scope", Integer, nullable=False),  # onelist.codes.SuspensionScope
    _hash("subject", nullable=False, index=True),
    _address("regulator", nullable=False),
    Column("regulator_province", Integer),
    Column("reason_code", Integer, nullable=False),
    _hash("legal_basis", nullable=False),
    Column("until", BigInteger),  # suspend only
    Column("block_time", BigInteger, nullable=False),
)

# ----------------------------------------------------------------------------- audit trail

events = Table(
    "events",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("chain_id", BigInteger, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    _hash("block_hash", nullable=False),
    Column("block_time", BigInteger, nullable=False),
    _hash("tx_hash", nullable=False),
    Column("log_index", Integer, nullable=False),
    Column("contract", String(32), nullable=False),
    Column("name", String(64), nullable=False),
    _address("actor"),
    Column("acting_exchange", String(8)),
    _address("acting_regulator"),
    _hash("listing_id"),
    Column("seq", BigInteger),
    Column("args", Text, nullable=False),  # JSON
    # A log's place in the chain is its identity: an index holds one chain. Not a unique key
    # on the (random) transaction hash, which each batch would insert all over (migration
    # 0005); this one is appended to in chain order and serves the trail's range reads too.
    Index("ix_events_block", "block_number", "log_index", unique=True),
    Index("ix_events_listing", "listing_id", "seq"),
    Index("ix_events_actor", "actor"),
    Index("ix_events_name", "name"),
    Index("ix_events_exchange", "acting_exchange"),
)

# ----------------------------------------------------------------------------- bookkeeping

cursor = Table(
    "cursor",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("chain_id", BigInteger, nullable=False),
    Column("block_number", BigInteger, nullable=False),  # the last block fully indexed
    _hash("block_hash", nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

blocks = Table(
    "blocks",
    metadata,
    Column("number", BigInteger, primary_key=True, autoincrement=False),
    _hash("hash", nullable=False),
    _hash("parent_hash", nullable=False),
    Column("timestamp", BigInteger, nullable=False),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("chain_id", BigInteger, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    _hash("block_hash", nullable=False),
    _hash("tx_hash", nullable=False),
    Column("log_index", Integer, nullable=False),
    _address("address", nullable=False),
    Column("topics", Text, nullable=False),  # JSON array of 0x-hex
    Column("data", Text, nullable=False),  # 0x-hex
    Column("stage", String(16), nullable=False),  # decode | project | store
    Column("reason", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("chain_id", "tx_hash", "log_index"),
)

# Tables defined in modules of their own on this metadata (they import it, hence at the end).
from node.store.schema_search import listing_terms  # noqa: E402

#: State tables that are a fold of ``events`` (cleared and replayed by a rollback or rebuild).
PROJECTED_TABLES = (
    exchanges,
    operators,
    regulators,
    participants,
    fee_schedules,
    parameters,
    proposals,
    votes,
    listings,
    listing_versions,
    duplicate_attempts,
    licences,
    suspensions,
    listing_terms,
)
