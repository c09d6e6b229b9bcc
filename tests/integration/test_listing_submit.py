"""`onelist listing submit|status` and scripts/submit_bulk.py against a real node: the node's
application served on a free 127.0.0.1 port (aiohttp AppRunner in a thread), following a real
chain, with a real SQLite index."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aiohttp import web

from listing import accounts
from listing.accounts import import_account
from node.api.app import create_app
from node.config import NodeConfig
from node.store import open_engine
from node.store import submissions as db
from onelist.chain.connection import address_of
from onelist.chain.samples import sample_record
from onelist.cli import main
from tests.node.conftest import CATALOGUE, Consortium, node_config, start_consortium
from tests.unit.listing.manifests import edited, h

ROOT = Path(__file__).parents[2]
PASSPHRASE = "correct horse battery staple"
FAST_SCRYPT = 1 << 10


class NodeServer:
    """The node's application on a free port of 127.0.0.1, in a thread with its own loop."""

    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        runner = web.AppRunner(create_app(self.config))
        try:
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            self.url = f"http://{host}:{port}"
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            raise
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await runner.cleanup()

    def start(self) -> NodeServer:
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def wait_caught_up(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with urllib.request.urlopen(self.url + "/status", timeout=5) as response:
                state = json.loads(response.read())
            if state["head"] is not None and state["indexed"] == state["head"]:
                return
            assert time.monotonic() < deadline, state
            time.sleep(0.05)


@dataclass
class Setup:
    consortium: Consortium
    node: NodeServer
    database_url: str
    listed_fingerprint: str  # a dataset the provider listed already

    @property
    def provider(self) -> str:
        return address_of(self.consortium.keys[5])


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("submit")
    consortium = start_consortium(tmp)
    keys = consortium.keys
    try:
        record = sample_record(address_of(keys[5]), "cli-listed")
        consortium.client.list(keys[1], keys[5], "SH", record, CATALOGUE)
        config = node_config(consortium, tmp)
        node = NodeServer(config).start()
        try:
            node.wait_caught_up()
            yield Setup(consortium, node, config.database_url, "0x" + record["fingerprint"].hex())
        finally:
            node.stop()
    finally:
        consortium.chain.stop()


@pytest.fixture
def keystore(setup: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The provider's key in a keystore (cheap scrypt), its passphrase in ``pass.txt``."""
    monkeypatch.delenv("ONELIST_PASSPHRASE", raising=False)
    monkeypatch.setenv("ONELIST_KEYSTORE_DIR", str(tmp_path / "keystore"))
    monkeypatch.setattr(accounts, "SCRYPT_N", FAST_SCRYPT)
    key = bytes.fromhex(setup.consortium.keys[5].removeprefix("0x"))
    entry = import_account(tmp_path / "keystore", key, PASSPHRASE, scrypt_n=FAST_SCRYPT)
    (tmp_path / "pass.txt").write_text(PASSPHRASE + "\n", encoding="utf-8")
    return entry.path


_seq = iter(range(10**6))


def write_manifest(setup: Setup, folder: Path, name: str | None = None, **changes: Any) -> Path:
    n = next(_seq)
    data = edited(
        {
            "provider": setup.provider,
            "home_exchange": "SH",
            "product_ref": f"CLI-{n:03d}",
            "fingerprint": h(f"cli dataset {n}"),
            **changes,
        }
    )
    path = folder / (name or f"manifest-{n}.json")
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("onelist: error: ")
    return lines[0]


def key_options(keystore: Path) -> list[str]:
    return ["--keystore", str(keystore), "--passphrase-file", str(keystore.parents[1] / "pass.txt")]


# ----------------------------------------------------------------------------- submit, status


def test_submit_then_status_shows_the_review(
    setup: Setup, keystore: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = write_manifest(setup, tmp_path)
    node = setup.node.url
    code, out, err = run(
        capsys, "listing", "submit", manifest, "--node", node, *key_options(keystore), "--json"
    )
    assert code == 0, err
    answer = json.loads(out)
    assert answer["created"] is True and answer["status"] == "pending_review"
    submission_id = answer["submission_id"]

    code, out, err = run(capsys, "listing", "status", "--node", node, *key_options(keystore))
    assert code == 0, err
    assert "pending_review" in out and str(submission_id) in out

    engine = open_engine(setup.database_url)
    try:
        db.set_submission_status(engine, submission_id, "rejected", "质量评估报告已过期")
    finally:
        engine.dispose()
    code, out, err = run(
        capsys, "listing", "status", submission_id, "--node", node, *key_options(keystore)
    )
    assert code == 0, err
    assert "rejected" in out and "质量评估报告已过期" in out


def test_a_second_submit_finds_the_first(
    setup: Setup, keystore: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = write_manifest(setup, tmp_path)
    argv = ["listing", "submit", manifest, "--node", setup.node.url, *key_options(keystore)]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "submitted: submission" in out and "pending_review" in out
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "already submitted" in out


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("refused by the node", "HTTP 422 refused: manifest.version"),
        ("refused here", "fails 1 check(s), first R1 at classification.grade"),
        ("another exchange", "this is SH's node, but the manifest's home exchange is ZJ"),
        ("wrong passphrase", "wrong passphrase"),
        ("unreachable node", "cannot reach the node"),
        ("not a URL", "the node URL must be http://host:port"),
    ],
    ids=[
        "a dataset listed already is refused by the node with its finding",
        "core data is refused before anything is sent",
        "a manifest of another exchange is refused before signing",
        "a wrong passphrase is one line",
        "an unreachable node is one line",
        "a node URL that is not one is one line",
    ],
)
def test_a_failed_submit_is_one_line(
    setup: Setup,
    keystore: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    words: str,
) -> None:
    changes: dict[str, Any] = {}
    node = setup.node.url
    options = key_options(keystore)
    if case == "refused by the node":
        changes = {"fingerprint": setup.listed_fingerprint}
    elif case == "refused here":
        changes = {"classification.grade": "core"}
    elif case == "another exchange":
        changes = {"home_exchange": "ZJ"}
    elif case == "wrong passphrase":
        (tmp_path / "wrong.txt").write_text("not it", encoding="utf-8")
        options = ["--keystore", str(keystore), "--passphrase-file", str(tmp_path / "wrong.txt")]
    elif case == "unreachable node":
        node = "http://127.0.0.1:9"
    elif case == "not a URL":
        node = "sh-node:8600"
    manifest = write_manifest(setup, tmp_path, **changes)
    code, out, err = run(capsys, "listing", "submit", manifest, "--node", node, *options)
    assert code != 0
    assert words in one_error_line(err)
    assert out == ""


def test_status_of_an_unreachable_node_is_one_line_without_a_traceback(
    keystore: Path, tmp_path: Path
) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "onelist.cli",
            "listing",
            "status",
            "--node",
            "http://127.0.0.1:9",
            *key_options(keystore),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "cannot reach the node" in one_error_line(result.stderr)


# ----------------------------------------------------------------------------- bulk


def _bulk_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("submit_bulk", ROOT / "scripts/submit_bulk.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["submit_bulk"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_bulk_submission_resumes_from_its_state_file(
    setup: Setup, keystore: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    write_manifest(setup, folder, "a.json")
    write_manifest(setup, folder, "b.json")
    write_manifest(setup, folder, "c.json", **{"classification.grade": "core"})
    bulk = _bulk_script()
    argv = [str(folder), "--node", setup.node.url, *key_options(keystore)]

    assert bulk.main(argv) == 1  # c.json is refused
    out, err = capsys.readouterr()
    assert out.count("submitted") >= 2 and "R1" in out
    state = json.loads((folder / ".onelist-submitted.json").read_text("utf-8"))
    assert sorted(entry["file"] for entry in state["submitted"].values()) == ["a.json", "b.json"]

    (folder / "c.json").unlink()
    write_manifest(setup, folder, "d.json")
    assert bulk.main(argv) == 0  # a and b skipped, d submitted
    out, err = capsys.readouterr()
    assert out.count("skipped") == 2 and "submitted" in out
    assert "2 skipped" in err and "1 submitted" in err
    state = json.loads((folder / ".onelist-submitted.json").read_text("utf-8"))
    assert len(state["submitted"]) == 3
