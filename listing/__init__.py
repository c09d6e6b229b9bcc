"""The data provider's listing toolkit: manifest, rules, hashing, fingerprint, signing, accounts.

The public names below import from here (``from listing import check_manifest``); their
modules load on first use, so that the ``onelist`` command starts quickly. Code inside the
package imports from the defining modules, which type checkers see. docs/listing.md
describes the commands built on them.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "listing.accounts": ["KeystoreEntry", "list_accounts", "new_account", "unlock"],
    "listing.errors": [
        "DocumentError",
        "FingerprintError",
        "InputFileError",
        "Issue",
        "KeystoreError",
        "ListingError",
        "ManifestError",
        "ProofError",
        "SigningError",
    ],
    "listing.fingerprint": ["Fingerprint", "Proof", "fingerprint_paths", "prove", "verify_proof"],
    "listing.hashing": ["canonical_json", "manifest_hash"],
    "listing.manifest": [
        "Manifest",
        "load_manifest",
        "manifest_document",
        "manifest_from_data",
        "manifest_json_schema",
    ],
    "listing.onchain": [
        "catalogue_bytes",
        "listing_authorization",
        "listing_id",
        "policy_of",
    ],
    "listing.rules": ["Context", "Finding", "check_manifest"],
    "listing.signing": ["recover_signer", "sign_listing"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'listing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
