"""Regenerate listing/schema/manifest.schema.json from the manifest models.

    .venv/bin/python scripts/generate_manifest_schema.py

tests/unit/listing/test_listing_schema.py fails while the checked-in file and the models differ.
"""

from __future__ import annotations

from pathlib import Path

from listing.files import dump_json
from listing.manifest import manifest_json_schema

TARGET = Path(__file__).resolve().parent.parent / "listing" / "schema" / "manifest.schema.json"

if __name__ == "__main__":
    TARGET.write_text(dump_json(manifest_json_schema()), encoding="utf-8")
    print(f"wrote {TARGET}")
