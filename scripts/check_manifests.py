"""Check a folder of manifests at once: the offline half of a bulk submission.

    .venv/bin/python scripts/check_manifests.py examples/manifests [--now 2026-12-01]

Loads every ``*.json`` manifest in the folder, runs every compliance rule, and prints a summary
table (product, version, errors, warnings, manifest hash). Exit 1 if any manifest has an error.
Submitting the clean ones to the home exchange's node comes with the node API.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import track
from rich.table import Table

from listing.errors import ListingError, ManifestError
from listing.hashing import manifest_hash
from listing.manifest import load_manifest
from listing.rules import CHINA_STANDARD_TIME, Context, check_manifest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--now", help="check as of this ISO time (China Standard Time)")
    args = parser.parse_args()
    now = dt.datetime.now(dt.UTC)
    if args.now:
        now = dt.datetime.fromisoformat(args.now)
        now = now if now.tzinfo else now.replace(tzinfo=CHINA_STANDARD_TIME)
    paths = sorted(args.folder.glob("*.json"))
    if not paths:
        print(f"no *.json manifests in {args.folder}", file=sys.stderr)
        return 1

    table = Table(title=f"{len(paths)} manifests in {args.folder}")
    for column in ("file", "product", "version", "errors", "warnings"):
        table.add_column(column, overflow="fold")
    table.add_column("manifest hash", no_wrap=True)
    failed = 0
    progress = track(
        paths,
        description="checking",
        console=Console(stderr=True),
        disable=not sys.stderr.isatty(),
    )
    for path in progress:
        try:
            manifest = load_manifest(path)
        except ManifestError as exc:
            table.add_row(path.name, "", "", f"[red]{len(exc.issues)}[/]", "", str(exc.issues[0]))
            failed += 1
            continue
        except ListingError as exc:
            table.add_row(path.name, "", "", "[red]1[/]", "", str(exc))
            failed += 1
            continue
        findings = check_manifest(manifest, Context(now=now))
        errors = sum(f.severity == "error" for f in findings)
        failed += errors > 0
        table.add_row(
            path.name,
            manifest.product_ref,
            str(manifest.version),
            f"[red]{errors}[/]" if errors else "0",
            str(len(findings) - errors),
            manifest_hash(manifest),
        )
    Console(width=None if sys.stdout.isatty() else 160).print(table)
    print(f"{len(paths) - failed} ready for review, {failed} with errors", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
