"""``onelist listing …``: the provider's commands. A thin layer: parse, call, print.

Each handler returns the exit code; user errors are raised as ``OnelistError`` subclasses and
printed by ``onelist.cli.main`` as one line. Heavy modules are imported inside the handlers so
that ``onelist --help`` and the fingerprint command start quickly.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from listing.errors import DocumentError, InputFileError, Issue, ManifestError, SigningError
from listing.files import dump_json, read_json_file, write_atomic

if TYPE_CHECKING:
    from rich.console import Console

    from listing.fingerprint import Fingerprint, PlannedFile
    from listing.manifest import Manifest
    from listing.rules import Finding

__all__ = ["register"]

MAX_FINGERPRINT_FILE_BYTES = 512 << 20


def register(subparsers: Any) -> None:
    """Add ``listing`` and its sub-commands to the ``onelist`` parser."""
    parser = subparsers.add_parser(
        "listing",
        help="prepare a listing: manifest checks, hash, fingerprint, signature",
        description="数商挂牌工具 / the provider's listing toolkit (docs/listing.md)",
    )
    parser.set_defaults(func=_print_help(parser))
    sub = parser.add_subparsers(dest="listing_command", metavar="COMMAND")

    p = sub.add_parser("schema", help="print the manifest's JSON Schema")
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("check", help="run every compliance rule; exit 1 if any error")
    p.add_argument("manifest", help="manifest JSON file")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument(
        "--now",
        type=_parse_now,
        help="check as of this time (ISO 8601; China Standard Time if no offset)",
    )
    p.add_argument(
        "--listed",
        metavar="FILE",
        help="JSON object of already-listed fingerprints to their providers (rule R6)",
    )
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("hash", help="print the manifest hash (RFC 8785, keccak256)")
    p.add_argument("manifest", help="manifest JSON file")
    p.add_argument(
        "--json", action="store_true", help="also the listing id and the catalogue bytes"
    )
    p.set_defaults(func=cmd_hash)

    p = sub.add_parser("fingerprint", help="fingerprint dataset files and folders (Merkle root)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files and folders of the dataset")
    p.add_argument("-o", "--output", help="write the fingerprint file here (else stdout)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_fingerprint)

    p = sub.add_parser("prove", help="inclusion proof of one file in a fingerprint")
    p.add_argument("fingerprint_file", help="file written by `onelist listing fingerprint`")
    p.add_argument("relpath", help="the file's relative path, as in the fingerprint file")
    p.add_argument("-o", "--output", help="write the proof here (else stdout)")
    p.set_defaults(func=cmd_prove)

    p = sub.add_parser("verify", help="verify an inclusion proof; exit 1 if it fails")
    p.add_argument("proof_file", help="file written by `onelist listing prove`")
    p.add_argument("--file", help="also re-hash this file and compare it with the proof")
    anchor = p.add_mutually_exclusive_group()
    anchor.add_argument("--root", help="the fingerprint the proof must lead to (0x hex)")
    anchor.add_argument("--manifest", help="take the fingerprint from this manifest")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("sign", help="sign the listing (EIP-712) for the ListingRegistry")
    p.add_argument("manifest", help="manifest JSON file")
    key = p.add_mutually_exclusive_group()
    key.add_argument("--keystore", metavar="FILE", help="keystore file of the provider's key")
    key.add_argument("--account", metavar="ADDRESS", help="find this account in the keystore")
    p.add_argument("--keystore-dir", help="keystore folder (default ~/.onelist/keystore)")
    p.add_argument("--passphrase-file", help="read the passphrase from this file")
    p.add_argument("--chain-id", type=int, required=True, help="the consortium chain's id")
    p.add_argument("--registry", required=True, help="ListingRegistry contract address")
    p.add_argument(
        "--deadline-minutes",
        type=_positive_int,
        default=60,
        help="the signature expires this many minutes from now (default 60)",
    )
    p.add_argument(
        "--exchange-indexes",
        metavar="FILE",
        help='JSON object of exchange codes to consortium indexes, e.g. {"SH": 0}',
    )
    p.add_argument("-o", "--output", help="write the signature file here (else stdout)")
    p.set_defaults(func=cmd_sign)

    p = sub.add_parser("submit", help="sign and submit the listing to its home exchange's node")
    p.add_argument("manifest", help="manifest JSON file")
    _node_options(p)
    p.add_argument("--fingerprint", metavar="FILE", help="send this fingerprint file's summary")
    p.add_argument(
        "--deadline-minutes",
        type=_positive_int,
        default=60,
        help="the listing signature expires this many minutes from now (default 60)",
    )
    p.set_defaults(func=cmd_submit)

    p = sub.add_parser("status", help="your submissions at a node: review state and reasons")
    p.add_argument("id", nargs="?", type=_positive_int, help="one submission's id")
    _node_options(p)
    p.add_argument("--status", dest="filter_status", help="only submissions of this status")
    p.set_defaults(func=cmd_status)


def _node_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--node", required=True, help="the home exchange's node, e.g. http://host:8600")
    key = p.add_mutually_exclusive_group()
    key.add_argument("--keystore", metavar="FILE", help="keystore file of the provider's key")
    key.add_argument("--account", metavar="ADDRESS", help="find this account in the keystore")
    p.add_argument("--keystore-dir", help="keystore folder (default ~/.onelist/keystore)")
    p.add_argument("--passphrase-file", help="read the passphrase from this file")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the node")
    p.add_argument("--json", action="store_true", help="print the node's answer as JSON")


def _print_help(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    def show(args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    return show


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} is not positive")
    return value


def _parse_now(text: str) -> dt.datetime:
    from listing.rules import CHINA_STANDARD_TIME

    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time") from None
    return value if value.tzinfo else value.replace(tzinfo=CHINA_STANDARD_TIME)


def _emit(text: str, output: str | None) -> None:
    if output:
        write_atomic(output, text.encode("utf-8"))
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(
        file=stream, highlight=False, width=None if stream.isatty() else 120, soft_wrap=False
    )


# ---------------------------------------------------------------------------------------------


def cmd_schema(args: argparse.Namespace) -> int:
    text = resources.files("listing").joinpath("schema/manifest.schema.json").read_text("utf-8")
    _emit(text, args.output)
    return 0


def _load_listed(path: str | None) -> dict[str, str] | None:
    if path is None:
        return None
    data = read_json_file(path, what="listed fingerprints", max_bytes=256 << 20)
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise DocumentError(
            [Issue("(root)", "expected an object of fingerprint to provider address")], where=path
        )
    return data


def cmd_check(args: argparse.Namespace) -> int:
    from listing.hashing import manifest_hash
    from listing.manifest import load_manifest
    from listing.onchain import listing_id
    from listing.rules import Context, check_manifest, findings_from_error

    now = args.now or dt.datetime.now(dt.UTC)
    context = Context(now=now, listed_fingerprints=_load_listed(args.listed))
    manifest: Manifest | None = None
    try:
        manifest = load_manifest(args.manifest)
    except ManifestError as exc:
        findings = findings_from_error(exc)
    else:
        findings = check_manifest(manifest, context)
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    lid = "0x" + listing_id(manifest).hex() if manifest else None
    mhash = manifest_hash(manifest) if manifest else None
    if args.json:
        report = {
            "manifest": args.manifest,
            "listing_id": lid,
            "manifest_hash": mhash,
            "errors": errors,
            "warnings": warnings,
            "findings": [f.to_dict() for f in findings],
        }
        _emit(dump_json(report), None)
    else:
        _print_check(args.manifest, manifest, lid, mhash, findings, errors, warnings)
    return 1 if errors else 0


def _print_check(
    path: str,
    manifest: Manifest | None,
    lid: str | None,
    mhash: str | None,
    findings: list[Finding],
    errors: int,
    warnings: int,
) -> None:
    from rich.table import Table

    console = _console()
    console.print(f"清单 manifest: {path}")
    if manifest is not None:
        console.print(
            f"产品 product:  {manifest.catalogue.title} "
            f"({manifest.product_ref}, version {manifest.version})"
        )
        console.print(f"listing id:    {lid}")
        console.print(f"manifest hash: {mhash}")
    if findings:
        table = Table(show_lines=False)
        table.add_column("rule", no_wrap=True)
        table.add_column("severity", no_wrap=True)
        table.add_column("path", overflow="fold")
        table.add_column("message", overflow="fold")
        for f in findings:
            colour = "red" if f.severity == "error" else "yellow"
            table.add_row(f.rule_id, f"[{colour}]{f.severity}[/]", f.path, f.message)
        console.print(table)
    verdict = (
        "[red]不可提交 / not ready: fix the errors[/]"
        if errors
        else "[green]可提交审核 / ready for review[/]"
    )
    console.print(f"{errors} error(s), {warnings} warning(s): {verdict}")


def cmd_hash(args: argparse.Namespace) -> int:
    from eth_utils import keccak

    from listing.hashing import manifest_hash
    from listing.manifest import load_manifest
    from listing.onchain import catalogue_bytes, listing_id

    manifest = load_manifest(args.manifest)
    mhash = manifest_hash(manifest)
    if args.json:
        catalogue = catalogue_bytes(manifest)
        report = {
            "manifest_hash": mhash,
            "listing_id": "0x" + listing_id(manifest).hex(),
            "version": manifest.version,
            "catalogue_hash": "0x" + keccak(catalogue).hex(),
            "catalogue": "0x" + catalogue.hex(),
        }
        _emit(dump_json(report), None)
    else:
        _emit(mhash + "\n", None)
    return 0


def _refuse_output_inside(output: str | None, paths: list[str]) -> None:
    if output is None:
        return
    target = Path(output).resolve()
    for given in paths:
        folder = Path(given).resolve()
        if folder.is_dir() and folder in target.parents:
            raise InputFileError(
                "the fingerprint file would be inside the dataset it describes; write it elsewhere",
                where=output,
            )


def _fingerprint_with_progress(planned: list[PlannedFile], quiet: bool) -> Fingerprint:
    from listing.fingerprint import fingerprint_files

    if quiet or not sys.stderr.isatty():
        return fingerprint_files(planned)
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("数据指纹 fingerprint"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=_console(stderr=True), transient=True) as bar:
        task = bar.add_task("fingerprint", total=sum(p.size for p in planned))
        return fingerprint_files(planned, lambda n: bar.advance(task, n))


def cmd_fingerprint(args: argparse.Namespace) -> int:
    from listing.fingerprint import scan

    _refuse_output_inside(args.output, args.paths)
    planned = scan(args.paths)
    fingerprint = _fingerprint_with_progress(planned, args.quiet)
    _emit(dump_json(fingerprint.to_dict()), args.output)
    if args.output:
        count = len(fingerprint.files)
        print(
            f"{fingerprint.root_hex}  {count} file{'' if count == 1 else 's'}, "
            f"{fingerprint.total_bytes} bytes -> {args.output}",
            file=sys.stderr,
        )
    return 0


def _read_fingerprint(path: str) -> Fingerprint:
    from listing.fingerprint import fingerprint_from_dict

    data = read_json_file(path, what="fingerprint file", max_bytes=MAX_FINGERPRINT_FILE_BYTES)
    return fingerprint_from_dict(data, where=path)


def cmd_prove(args: argparse.Namespace) -> int:
    from listing.fingerprint import prove

    proof = prove(_read_fingerprint(args.fingerprint_file), args.relpath)
    _emit(dump_json(proof.to_dict()), args.output)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from listing.errors import ProofError
    from listing.fingerprint import PlannedFile, hash_file, proof_from_dict, verify_proof

    proof = proof_from_dict(read_json_file(args.proof_file, what="proof"), where=args.proof_file)
    verify_proof(proof)
    root = "0x" + proof.root.hex()
    expected: str | None = None
    if args.root is not None:
        expected = args.root.lower()
    elif args.manifest is not None:
        from listing.manifest import load_manifest

        expected = load_manifest(args.manifest).fingerprint
    if expected is not None and expected != root:
        raise ProofError(f"the proof leads to {root}, not to the expected fingerprint {expected}")
    if args.file is not None:
        import os

        try:
            st = os.stat(args.file)
        except OSError as exc:
            raise InputFileError(f"cannot read: {exc.strerror}", where=args.file) from None
        planned = PlannedFile(proof.path, Path(args.file), st.st_size, st.st_mtime_ns)
        actual = hash_file(planned).sha256
        if actual != proof.sha256:
            raise ProofError(
                f"file has sha256 0x{actual.hex()}, the proof is for 0x{proof.sha256.hex()}",
                where=args.file,
            )
    anchored = "" if expected else " (pass --root or --manifest to compare with the listing)"
    checked = f", file {args.file} matches" if args.file else ""
    print(f"proof valid: {proof.path} is in {root}{checked}{anchored}")
    return 0


def _exchange_indexes(path: str | None) -> dict[str, int] | None:
    if path is None:
        return None
    data = read_json_file(path, what="exchange index table")
    if not isinstance(data, dict):
        raise DocumentError([Issue("(root)", "expected an object of code to index")], where=path)
    from onelist.codes import exchange_code

    for code, index in data.items():
        try:
            exchange_code(code)
        except ValueError as exc:
            raise DocumentError([Issue(f'["{code}"]', str(exc))], where=path) from None
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= 255:
            raise DocumentError([Issue(code, "index must be an integer 0-255")], where=path)
    if len(set(data.values())) != len(data):
        raise DocumentError([Issue("(root)", "two exchanges share an index")], where=path)
    return data


def cmd_sign(args: argparse.Namespace) -> int:
    from listing.accounts import find_account, keystore_dir, read_passphrase, unlock
    from listing.manifest import load_manifest
    from listing.rules import Context, check_manifest
    from listing.signing import sign_listing

    manifest = load_manifest(args.manifest)
    errors = [
        f
        for f in check_manifest(manifest, Context(now=dt.datetime.now(dt.UTC)))
        if f.severity == "error"
    ]
    if errors:
        first = errors[0]
        raise SigningError(
            f"the manifest fails {len(errors)} check(s), first {first.rule_id} at {first.path}; "
            f"run `onelist listing check {args.manifest}`",
            where=args.manifest,
        )
    indexes = _exchange_indexes(args.exchange_indexes)
    if args.keystore:
        keyfile = Path(args.keystore)
    else:
        directory = keystore_dir(args.keystore_dir)
        keyfile = find_account(directory, args.account or manifest.provider).path
    passphrase = read_passphrase(args.passphrase_file)
    private_key = unlock(keyfile, passphrase)
    deadline = int(time.time()) + 60 * args.deadline_minutes
    document = sign_listing(
        manifest,
        private_key,
        chain_id=args.chain_id,
        registry=args.registry,
        deadline=deadline,
        exchange_indexes=indexes,
    )
    _emit(dump_json(document), args.output)
    if args.output:
        print(
            f"signed {manifest.product_ref} version {manifest.version} as {document['signer']}, "
            f"valid until {dt.datetime.fromtimestamp(deadline, dt.UTC).isoformat()} "
            f"-> {args.output}",
            file=sys.stderr,
        )
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    from listing.submit import run_submit

    return run_submit(args)


def cmd_status(args: argparse.Namespace) -> int:
    from listing.submit import run_status

    return run_status(args)
