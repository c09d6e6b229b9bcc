"""`onelist listing …` and `onelist account …` end to end: exit codes, messages, files.

Most cases call ``onelist.cli.main(argv)`` in-process; a few run the real command in a
subprocess to show that a user error is one line on stderr, never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak

from listing import accounts
from listing import fingerprint as fingerprint_module
from listing.accounts import import_account
from listing.hashing import manifest_hash
from listing.manifest import load_manifest
from listing.signing import recover_signer
from onelist.cli import main

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples" / "manifests"
TRAFFIC = EXAMPLES / "traffic-od.json"
CREDIT = EXAMPLES / "public-credit.json"
TRAFFIC_KEY = bytes(keccak(text="onelist example provider: traffic-od"))
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
FAST_SCRYPT = 1 << 10


@pytest.fixture(autouse=True)
def _no_ambient_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ONELIST_PASSPHRASE", raising=False)
    monkeypatch.setenv("ONELIST_KEYSTORE_DIR", str(tmp_path / "keystore"))
    monkeypatch.setattr(accounts, "SCRYPT_N", FAST_SCRYPT)


def run(capsys: pytest.CaptureFixture[str], *argv: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("onelist: error: ")
    return lines[0]


def edited_copy(tmp_path: Path, source: Path, **changes: Any) -> Path:
    data = json.loads(source.read_text("utf-8"))
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for step in parents:
            node = node[step]
        node[last] = value
    path = tmp_path / source.name
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return path


# schema --------------------------------------------------------------------------------------


def test_schema_prints_the_checked_in_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "listing", "schema")
    assert code == 0
    assert out == (ROOT / "listing" / "schema" / "manifest.schema.json").read_text("utf-8")


# check ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["traffic-od.json", "public-credit.json", "industrial-telemetry.json"]
)
def test_check_passes_the_examples(capsys: pytest.CaptureFixture[str], name: str) -> None:
    code, out, _ = run(capsys, "listing", "check", EXAMPLES / name, "--now", "2026-11-25")
    assert code == 0
    assert "0 error(s), 0 warning(s)" in out
    assert manifest_hash(load_manifest(EXAMPLES / name)) in out


def test_check_lists_every_finding_and_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = edited_copy(
        tmp_path,
        TRAFFIC,
        classification__grade="important",
        usage__territory="cross_border",
    )
    code, out, _ = run(capsys, "listing", "check", path, "--json")
    report = json.loads(out)
    assert code == 1
    assert report["errors"] == 3
    assert {(f["rule_id"], f["path"]) for f in report["findings"]} == {
        ("R2", "evidence.risk_assessment"),
        ("R2", "usage.territory"),
        ("ENV", "usage.cross_border_legal_basis"),
    }


def test_check_reports_schema_problems_as_findings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = edited_copy(tmp_path, TRAFFIC, version="1", catalogue__colour="red")
    code, out, _ = run(capsys, "listing", "check", path, "--json")
    assert code == 1
    findings = json.loads(out)["findings"]
    assert [(f["rule_id"], f["path"]) for f in findings] == [
        ("SCHEMA", "version"),
        ("SCHEMA", "catalogue.colour"),
    ]


def test_check_with_warnings_only_exits_0(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = edited_copy(tmp_path, TRAFFIC, usage__granting_exchanges=["SH", "GZ"])
    code, out, _ = run(capsys, "listing", "check", path, "--now", "2026-11-25")
    assert code == 0
    assert "0 error(s), 1 warning(s)" in out


def test_check_as_of_a_later_day_finds_the_expired_authorisation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "listing", "check", CREDIT, "--now", "2029-01-01T00:00", "--json")
    assert code == 1
    assert json.loads(out)["findings"][0]["path"] == "source.authorisation_valid_until"


def test_check_with_listed_fingerprints_finds_a_duplicate(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    manifest = load_manifest(TRAFFIC)
    listed = tmp_path / "listed.json"
    listed.write_text(json.dumps({manifest.fingerprint: "0x" + "12" * 20}))
    code, out, _ = run(capsys, "listing", "check", TRAFFIC, "--listed", listed, "--json")
    assert code == 1
    assert json.loads(out)["findings"][0]["rule_id"] == "R6"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            '{\n  "version": 1,\n  "provider": \n}',
            "line 4 column 1: malformed JSON: Expecting value",
            id="malformed JSON is named by line and column",
        ),
        pytest.param(
            '{"a": 1,\n "b": {"a": 2, "a": 3}}',
            'line 2 column 16: duplicate key "a"',
            id="a duplicate key is named with its line and column",
        ),
    ],
)
def test_hash_refuses_bad_json_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "m.json"
    path.write_text(content)
    code, out, err = run(capsys, "listing", "hash", path)
    assert code == 1
    assert out == ""
    assert one_error_line(err) == f"onelist: error: {path}: {expected}"


def test_a_missing_manifest_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "listing", "check", tmp_path / "nope.json")
    assert code == 1
    assert one_error_line(err) == f"onelist: error: {tmp_path / 'nope.json'}: manifest not found"


def test_a_wrong_type_is_named_by_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = json.loads(TRAFFIC.read_text("utf-8"))
    data["catalogue"]["keywords"][2] = 42
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data))
    code, _, err = run(capsys, "listing", "hash", path)
    assert code == 1
    assert one_error_line(err) == (
        f"onelist: error: {path}: catalogue.keywords[2]: Input should be a valid string"
    )


# hash ----------------------------------------------------------------------------------------


def test_hash_is_the_same_for_a_reformatted_manifest(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = json.loads(TRAFFIC.read_text("utf-8"))
    reformatted = tmp_path / "m.json"
    reformatted.write_text(json.dumps(dict(reversed(list(data.items()))), indent=1))
    _, first, _ = run(capsys, "listing", "hash", TRAFFIC)
    _, second, _ = run(capsys, "listing", "hash", reformatted)
    assert first == second == manifest_hash(load_manifest(TRAFFIC)) + "\n"


def test_hash_json_gives_the_ids_and_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "listing", "hash", TRAFFIC, "--json")
    report = json.loads(out)
    assert code == 0
    assert set(report) == {"manifest_hash", "listing_id", "version", "catalogue_hash", "catalogue"}
    assert report["catalogue_hash"] == "0x" + keccak(bytes.fromhex(report["catalogue"][2:])).hex()


# fingerprint, prove, verify ------------------------------------------------------------------


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    root = tmp_path / "od-2026"
    (root / "2026-01").mkdir(parents=True)
    (root / "2026-01" / "part-0001.csv").write_bytes(b"origin,destination\n1,2\n" * 1000)
    (root / "2026-01" / "part-0002.csv").write_bytes(b"origin,destination\n3,4\n" * 999)
    (root / "README.txt").write_text("出行 OD 数据说明", "utf-8")
    return root


def test_fingerprint_writes_the_file_and_prove_verify_round_trip(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, dataset: Path
) -> None:
    out_file = tmp_path / "fingerprint.json"
    code, _, err = run(capsys, "listing", "fingerprint", dataset, "-o", out_file)
    assert code == 0
    content = json.loads(out_file.read_text("utf-8"))
    assert content["file_count"] == 3
    assert content["root"] in err
    proof_file = tmp_path / "proof.json"
    code, _, _ = run(
        capsys, "listing", "prove", out_file, "2026-01/part-0002.csv", "-o", proof_file
    )
    assert code == 0
    code, out, _ = run(
        capsys,
        "listing",
        "verify",
        proof_file,
        "--root",
        content["root"],
        "--file",
        dataset / "2026-01" / "part-0002.csv",
    )
    assert code == 0
    assert out.startswith("proof valid: 2026-01/part-0002.csv is in ")


def test_fingerprint_to_stdout(capsys: pytest.CaptureFixture[str], dataset: Path) -> None:
    code, out, _ = run(capsys, "listing", "fingerprint", dataset)
    assert code == 0
    assert json.loads(out)["scheme"] == "onelist-fingerprint/1"


def test_verify_fails_for_another_file_or_root(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, dataset: Path
) -> None:
    out_file = tmp_path / "fingerprint.json"
    run(capsys, "listing", "fingerprint", dataset, "-o", out_file)
    proof_file = tmp_path / "proof.json"
    run(capsys, "listing", "prove", out_file, "README.txt", "-o", proof_file)
    other = dataset / "2026-01" / "part-0001.csv"
    code, _, err = run(capsys, "listing", "verify", proof_file, "--file", other)
    assert code == 1
    assert "the proof is for" in one_error_line(err)
    code, _, err = run(capsys, "listing", "verify", proof_file, "--root", "0x" + "ab" * 32)
    assert code == 1
    assert "not to the expected fingerprint" in one_error_line(err)


def test_a_tampered_proof_fails(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, dataset: Path
) -> None:
    out_file = tmp_path / "fingerprint.json"
    run(capsys, "listing", "fingerprint", dataset, "-o", out_file)
    proof_file = tmp_path / "proof.json"
    run(capsys, "listing", "prove", out_file, "README.txt", "-o", proof_file)
    proof = json.loads(proof_file.read_text())
    proof["sha256"] = "0x" + "00" * 31 + "01"
    proof_file.write_text(json.dumps(proof))
    code, _, err = run(capsys, "listing", "verify", proof_file)
    assert code == 1
    assert "not to its root" in one_error_line(err)


def test_prove_names_an_unknown_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, dataset: Path
) -> None:
    out_file = tmp_path / "fingerprint.json"
    run(capsys, "listing", "fingerprint", dataset, "-o", out_file)
    code, _, err = run(capsys, "listing", "prove", out_file, "missing.csv")
    assert code == 1
    assert "no file 'missing.csv'" in one_error_line(err)


def test_a_file_vanishing_mid_fingerprint_leaves_no_output(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    dataset: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = fingerprint_module.hash_file
    victim = dataset / "README.txt"

    def delete_then_hash(planned: Any, *args: Any, **kwargs: Any) -> Any:
        if victim.exists():
            victim.unlink()  # vanishes after the scan, before its turn
        return original(planned, *args, **kwargs)

    monkeypatch.setattr(fingerprint_module, "hash_file", delete_then_hash)
    out_file = tmp_path / "fingerprint.json"
    code, _, err = run(capsys, "listing", "fingerprint", dataset, "-o", out_file)
    assert code == 1
    assert one_error_line(err) == (
        f"onelist: error: {victim}: file vanished before it could be read"
    )
    assert not out_file.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["od-2026"]  # no temporary file left


def test_the_fingerprint_file_may_not_be_inside_the_dataset(
    capsys: pytest.CaptureFixture[str], dataset: Path
) -> None:
    code, _, err = run(capsys, "listing", "fingerprint", dataset, "-o", dataset / "fp.json")
    assert code == 1
    assert "inside the dataset" in one_error_line(err)


def test_fingerprint_of_nothing_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "listing", "fingerprint", tmp_path / "absent")
    assert code == 1
    assert one_error_line(err) == f"onelist: error: {tmp_path / 'absent'}: not found"


# sign ----------------------------------------------------------------------------------------


@pytest.fixture
def provider_keystore(tmp_path: Path) -> Path:
    return import_account(
        tmp_path / "keystore", TRAFFIC_KEY, "正确的口令", scrypt_n=FAST_SCRYPT
    ).path


@pytest.fixture
def passphrase_file(tmp_path: Path) -> Path:
    path = tmp_path / "passphrase"
    path.write_text("正确的口令\n", "utf-8")
    return path


@pytest.fixture
def indexes_file(tmp_path: Path) -> Path:
    path = tmp_path / "indexes.json"
    path.write_text(json.dumps({"SH": 0, "BJ": 1, "SZ": 2, "GZ": 3}))
    return path


def sign_args(*extra: Any) -> list[Any]:
    return [
        "listing",
        "sign",
        TRAFFIC,
        "--chain-id",
        "31337",
        "--registry",
        REGISTRY,
        *extra,
    ]


def test_sign_writes_a_signature_that_recovers_to_the_provider(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    provider_keystore: Path,
    passphrase_file: Path,
    indexes_file: Path,
) -> None:
    out_file = tmp_path / "signature.json"
    args = sign_args(
        "--keystore",
        provider_keystore,
        "--passphrase-file",
        passphrase_file,
        "--exchange-indexes",
        indexes_file,
        "-o",
        out_file,
    )
    code, out, err = run(capsys, *args)
    assert code == 0, err
    document = json.loads(out_file.read_text())
    provider = load_manifest(TRAFFIC).provider
    assert recover_signer(document) == document["signer"] == provider
    assert document["manifest_hash"] == manifest_hash(load_manifest(TRAFFIC))
    assert document["domain"]["chainId"] == 31337
    assert document["message"]["policy"]["grantingExchanges"] == 0b1101
    assert "正确的口令" not in out + err + out_file.read_text()


def test_sign_finds_the_providers_key_in_the_keystore_folder(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    provider_keystore: Path,
    indexes_file: Path,
) -> None:
    monkeypatch.setenv("ONELIST_PASSPHRASE", "正确的口令")
    code, out, err = run(capsys, *sign_args("--exchange-indexes", indexes_file))
    assert code == 0, err
    assert json.loads(out)["signer"] == load_manifest(TRAFFIC).provider


def test_sign_with_a_wrong_passphrase_is_one_line_and_writes_nothing(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    provider_keystore: Path,
    indexes_file: Path,
) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("错误的口令")
    out_file = tmp_path / "signature.json"
    args = sign_args(
        "--keystore",
        provider_keystore,
        "--passphrase-file",
        wrong,
        "--exchange-indexes",
        indexes_file,
        "-o",
        out_file,
    )
    code, out, err = run(capsys, *args)
    assert code == 1
    assert one_error_line(err) == f"onelist: error: {provider_keystore}: wrong passphrase"
    assert out == ""
    assert not out_file.exists()


def test_sign_refuses_a_manifest_that_fails_its_checks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, provider_keystore: Path
) -> None:
    path = edited_copy(tmp_path, TRAFFIC, classification__grade="core")
    code, _, err = run(
        capsys,
        "listing",
        "sign",
        path,
        "--chain-id",
        "1",
        "--registry",
        REGISTRY,
    )
    assert code == 1
    assert "fails 1 check(s), first R1 at classification.grade" in one_error_line(err)


def test_sign_needs_the_exchange_index_table_for_a_granting_list(
    capsys: pytest.CaptureFixture[str], provider_keystore: Path, passphrase_file: Path
) -> None:
    code, _, err = run(
        capsys, *sign_args("--keystore", provider_keystore, "--passphrase-file", passphrase_file)
    )
    assert code == 1
    assert "usage.granting_exchanges[0]: exchange SZ needs" in one_error_line(err)


def test_sign_without_a_passphrase_source_off_a_terminal_is_one_line(
    capsys: pytest.CaptureFixture[str], provider_keystore: Path, indexes_file: Path
) -> None:
    code, _, err = run(
        capsys, *sign_args("--keystore", provider_keystore, "--exchange-indexes", indexes_file)
    )
    assert code == 1
    assert "no passphrase" in one_error_line(err)


# account -------------------------------------------------------------------------------------


def test_account_new_then_list(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONELIST_PASSPHRASE", "新口令")
    code, out, _ = run(capsys, "account", "new")
    assert code == 0
    address, path = out.split()
    assert Path(path).parent == tmp_path / "keystore"
    assert oct(Path(path).stat().st_mode & 0o777) == "0o600"
    code, out, _ = run(capsys, "account", "list")
    assert code == 0
    assert out.split() == [address, path]
    assert "新口令" not in out


def test_account_import_from_a_key_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, passphrase_file: Path
) -> None:
    key_file = tmp_path / "key.hex"
    key_file.write_text(TRAFFIC_KEY.hex())
    code, out, _ = run(
        capsys, "account", "import", "--key-file", key_file, "--passphrase-file", passphrase_file
    )
    assert code == 0
    assert out.split()[0] == load_manifest(TRAFFIC).provider
    assert TRAFFIC_KEY.hex() not in out


def test_account_import_of_a_bad_key_does_not_echo_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, passphrase_file: Path
) -> None:
    key_file = tmp_path / "key.hex"
    key_file.write_text("deadbeef" * 7)
    code, _, err = run(
        capsys, "account", "import", "--key-file", key_file, "--passphrase-file", passphrase_file
    )
    assert code == 1
    assert "deadbeef" not in one_error_line(err)


def test_account_list_of_an_empty_keystore(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "account", "list")
    assert code == 0
    assert out == ""
    assert "no accounts in" in err


# the real command ----------------------------------------------------------------------------


def onelist(*argv: Any, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onelist.cli", *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )


def test_the_command_prints_no_traceback_for_malformed_json(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"product_ref": "x",,}')
    result = onelist("listing", "hash", path)
    assert result.returncode == 1
    assert result.stderr == (
        f"onelist: error: {path}: line 1 column 21: malformed JSON: "
        "Expecting property name enclosed in double quotes\n"
    )


def test_the_command_prints_no_traceback_for_a_wrong_passphrase(
    tmp_path: Path, provider_keystore: Path, indexes_file: Path
) -> None:
    result = onelist(
        *sign_args("--keystore", provider_keystore, "--exchange-indexes", indexes_file),
        env={"ONELIST_PASSPHRASE": "wrong"},
    )
    assert result.returncode == 1
    assert result.stderr == f"onelist: error: {provider_keystore}: wrong passphrase\n"
    assert result.stdout == ""


def test_the_folder_script_checks_every_example() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/check_manifests.py", "examples/manifests", "--now", "2026-11-25"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "3 ready for review, 0 with errors"
    assert manifest_hash(load_manifest(TRAFFIC)) in result.stdout
