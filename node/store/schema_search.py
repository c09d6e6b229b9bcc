"""The catalogue's search index: ``listing_terms``, and the indexes the public search reads by.

``listing_terms`` holds the search terms of every version of every listing (see
:mod:`node.store.search_terms`), each with the weight of the best catalogue field it occurs in
and the block of the version. It is a fold of the events like the other state tables (the
Listed and VersionPublished projections insert a version's terms), so :mod:`node.store.schema`
lists it among its ``PROJECTED_TABLES``: a rollback or rebuild re-derives it and a digest
covers it. A version's terms never change; a search reads those of each listing's current
version (a join on ``listings.version``), so a new version needs no deletion.

Defined on :data:`node.store.schema.metadata`, which imports this module at its end. Migration
0002 builds it. :mod:`node.store.queries_catalogue` says how the indexes are read.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, func, literal_column

from node.store.schema import listing_versions, listings, metadata

__all__ = ["listing_price", "listing_terms"]

listing_terms = Table(
    "listing_terms",
    metadata,
    Column("listing_id", String(66), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("term", String(32), primary_key=True),
    Column("weight", Integer, nullable=False),  # node.store.search_terms: TITLE, KEYWORDS, ...
    Column("block", BigInteger, nullable=False),  # the version's block
    # A term's postings by weight, each weight's newest first.
    Index("ix_listing_terms_term", "term", "weight", "block", "listing_id", "version"),
    sqlite_with_rowid=False,  # the rows are their primary key: one b-tree, not two
)

#: A listing's price as the catalogue sorts by it: a listing whose catalogue has no price as
#: -1 (a literal, so that a query's ORDER BY is the index's expression exactly).
listing_price = func.coalesce(listings.c.price_fen, literal_column("-1"))

# Browsing without keywords: newest first (the block of each listing's current version), or
# by price.
Index(
    "ix_listing_versions_block",
    listing_versions.c.block_number,
    listing_versions.c.listing_id,
    listing_versions.c.version,
)
Index("ix_listings_price", listing_price, listings.c.listing_id)
