"""Submit a folder of manifests to the home exchange's node: resumable, with a progress bar.

    .venv/bin/python scripts/submit_bulk.py manifests/ --node http://sh-node:8600 \\
        --keystore ~/.onelist/keystore/UTC--…--775ff6ca… --passphrase-file pass.txt

Loads every ``*.json`` manifest in the folder (sorted by name), checks it with the toolkit's
rules, signs it for the node's chain and submits it, with the provider's key unlocked once.
A state file (default ``FOLDER/.onelist-submitted.json``) records the manifest hash of every
manifest the node has taken, written after each one: run the script again after a failure, an
interrupt or a new batch, and what was submitted is skipped. A summary table ends the run; the
exit code is 1 if any manifest was refused or could not be sent, else 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from listing.accounts import read_passphrase, unlock
from listing.errors import ListingError, SigningError
from listing.files import dump_json, read_json_file, write_atomic
from listing.hashing import manifest_hash
from listing.manifest import load_manifest
from listing.submit import (
    NodeClient,
    NodeDeployment,
    NodeRefusedError,
    NodeUnreachableError,
    check_before_submit,
    prepare_submission,
)
from onelist.errors import OnelistError

STATE_FORMAT = "onelist-submitted/1"
STATE_NAME = ".onelist-submitted.json"


@dataclass
class Row:
    file: str
    product: str = ""
    result: str = ""  # submitted | already submitted | skipped | refused | error | not sent
    submission: str = ""
    detail: str = ""


def load_state(path: Path, node: str) -> dict[str, Any]:
    """The state file, or a new one; a state file of another node is refused."""
    if not path.exists():
        return {"format": STATE_FORMAT, "node": node, "submitted": {}}
    state = read_json_file(path, what="state file")
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise ListingError(f"not a {STATE_FORMAT} state file", where=str(path))
    if state.get("node") != node:
        raise ListingError(
            f"this state file records submissions to {state.get('node')}, not {node}; "
            "pass --state for another file",
            where=str(path),
        )
    return state


def save_state(path: Path, state: dict[str, Any]) -> None:
    write_atomic(path, dump_json(state).encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder of *.json manifests")
    parser.add_argument("--node", required=True, help="the home exchange's node URL")
    parser.add_argument("--keystore", required=True, help="the provider's keystore file")
    parser.add_argument("--passphrase-file", help="read the passphrase from this file")
    parser.add_argument("--state", type=Path, help=f"state file (default FOLDER/{STATE_NAME})")
    parser.add_argument("--deadline-minutes", type=int, default=60)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except OnelistError as exc:
        print(f"submit_bulk: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("submit_bulk: interrupted; run again to resume", file=sys.stderr)
        return 130


def run(args: argparse.Namespace) -> int:
    paths = sorted(p for p in args.folder.glob("*.json") if not p.name.startswith("."))
    if not paths:
        raise ListingError("no *.json manifests here", where=str(args.folder))
    client = NodeClient(args.node, timeout=args.timeout)
    state_path = args.state or args.folder / STATE_NAME
    state = load_state(state_path, client.url)
    deployment = client.deployment()  # an unreachable node fails before the passphrase
    key = unlock(Path(args.keystore), read_passphrase(args.passphrase_file))
    client = client.with_key(key)

    rows: list[Row] = []
    stderr = Console(stderr=True)
    columns = (
        TextColumn("提交 submitting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
    )
    unreachable: str | None = None
    with Progress(*columns, console=stderr, disable=not stderr.is_terminal) as progress:
        task = progress.add_task("", total=len(paths))
        for path in paths:
            progress.update(task, description=path.name)
            row = Row(path.name)
            rows.append(row)
            if unreachable is not None:
                row.result, row.detail = "not sent", "the node is unreachable"
            else:
                unreachable = _submit_one(path, row, client, key, deployment, state, args)
                if row.result in ("submitted", "already submitted"):
                    save_state(state_path, state)
            progress.advance(task)

    _summary(rows, args.folder)
    counts = {name: sum(r.result == name for r in rows) for name in _COLOURS}
    print(
        ", ".join(f"{n} {name}" for name, n in counts.items() if n) + f"; state in {state_path}",
        file=sys.stderr,
    )
    if unreachable is not None:
        print(f"submit_bulk: error: {unreachable}", file=sys.stderr)
    bad = counts["refused"] + counts["error"] + counts["not sent"]
    return 1 if bad else 0


def _submit_one(
    path: Path,
    row: Row,
    client: NodeClient,
    key: bytes,
    deployment: NodeDeployment,
    state: dict[str, Any],
    args: argparse.Namespace,
) -> str | None:
    """Submit one manifest, filling ``row``; the error when the node is unreachable."""
    try:
        manifest = load_manifest(path)
        row.product = f"{manifest.catalogue.title} ({manifest.product_ref} v{manifest.version})"
        mhash = manifest_hash(manifest)
        done = state["submitted"].get(mhash)
        if done is not None:
            row.result, row.submission = "skipped", str(done["submission_id"])
            row.detail = "submitted before (state file)"
            return None
        try:
            check_before_submit(manifest, path.name)
        except SigningError as exc:
            row.result, row.detail = "refused", f"here: {exc.message}"
            return None
        deadline = int(time.time()) + 60 * args.deadline_minutes
        body = prepare_submission(manifest, key, deployment, deadline=deadline)
        result = client.submit(body)
    except NodeUnreachableError as exc:
        row.result, row.detail = "not sent", exc.message
        return str(exc)
    except NodeRefusedError as exc:
        row.result, row.detail = "refused", exc.message
        return None
    except OnelistError as exc:
        row.result, row.detail = "error", str(exc)
        return None
    s = result.submission
    row.result = "submitted" if result.created else "already submitted"
    row.submission = str(s["submission_id"])
    row.detail = s["status"]
    state["submitted"][mhash] = {
        "file": path.name,
        "submission_id": s["submission_id"],
        "status": s["status"],
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    return None


_COLOURS = {
    "submitted": "green",
    "already submitted": "green",
    "skipped": "dim",
    "refused": "red",
    "error": "red",
    "not sent": "yellow",
}


def _summary(rows: list[Row], folder: Path) -> None:
    table = Table(title=f"{len(rows)} manifests in {folder}")
    table.add_column("file", overflow="fold")
    table.add_column("product", overflow="fold")
    table.add_column("result", no_wrap=True)
    table.add_column("submission", no_wrap=True)
    table.add_column("detail", overflow="fold")
    for row in rows:
        colour = _COLOURS.get(row.result, "white")
        table.add_row(
            row.file, row.product, f"[{colour}]{row.result}[/]", row.submission, row.detail
        )
    Console(width=None if sys.stdout.isatty() else 160).print(table)


if __name__ == "__main__":
    sys.exit(main())
