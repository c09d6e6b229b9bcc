"""Compile ``contracts/**/*.sol`` offline into ``build/contracts/<Name>.json``.

Why it looks the way it does:

- The compiler version and settings are read from ``contracts/compiler.json``, the one definition
  that ``hardhat.config.js`` reads too. Source unit names are repo-relative paths
  (``contracts/membership/Consortium.sol``) and npm imports keep their import path
  (``@openzeppelin/contracts/...``), exactly as Hardhat names them. Same compiler, same settings
  and same names give the same metadata, hence the same metadata hash and byte-identical bytecode:
  anyone can rebuild a deployed contract with either tool and compare.
- Every source, imported ones included, is read here and passed to solc by content, so solc
  never touches the file system: a native ``solc`` and the solc-js wrapper behave the same, and
  the build cache can hash exactly what was compiled.
- The build cache (``build/contracts/.sources.sha256``) lists the sha256 of every input (compiler
  version, settings, each source) and of every artifact written; the build is redone when any
  line differs, so a stale or hand-edited artifact is never served.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any

from solcx import compile_standard
from solcx.exceptions import SolcError

from onelist.errors import ConfigError, ToolchainError

#: The Ethereum contract size limit (EIP-170): deployed code above this cannot be deployed.
MAX_DEPLOYED_SIZE = 24_576

COMPILER_CONFIG = "contracts/compiler.json"
ARTIFACTS_DIR = "build/contracts"
STAMP_FILE = ".sources.sha256"
WRAPPER = Path(__file__).with_name("solc_wrapper.js")

# Only what we use; requesting more does not change the bytecode, just slows solc down.
_OUTPUT_SELECTION = {
    "*": {
        "*": [
            "abi",
            "metadata",
            "evm.bytecode.object",
            "evm.bytecode.linkReferences",
            "evm.deployedBytecode.object",
            "evm.deployedBytecode.linkReferences",
            "evm.methodIdentifiers",
        ]
    }
}

JsonObject = dict[str, Any]


def repo_root() -> Path:
    """The project root: ``ONELIST_ROOT`` if set, else the checkout this package lives in."""
    env = os.environ.get("ONELIST_ROOT")
    return Path(env).resolve() if env else Path(__file__).resolve().parents[2]


def node_modules_dirs(root: Path | None = None) -> list[Path]:
    """Where npm packages are looked for: the project's node_modules, then the one beside this
    checkout (so a project root without its own, e.g. a test's temporary copy, still works)."""
    dirs = [
        (root or repo_root()) / "node_modules",
        Path(__file__).resolve().parents[2] / "node_modules",
    ]
    return list(dict.fromkeys(dirs))


def find_tool(relative: str, root: Path | None = None) -> Path | None:
    """The first ``node_modules/<relative>`` that exists, e.g. ``.bin/ganache``."""
    for base in node_modules_dirs(root):
        if (base / relative).exists():
            return base / relative
    return None


@dataclass(frozen=True)
class CompilerConfig:
    """``contracts/compiler.json``: the solc version and the standard-JSON ``settings``."""

    version: str
    settings: JsonObject


@dataclass(frozen=True)
class Artifact:
    """One compiled contract, as stored in ``build/contracts/<Name>.json``."""

    contract_name: str
    source_name: str
    abi: list[JsonObject]
    bytecode: str
    deployed_bytecode: str
    metadata: str
    link_references: JsonObject = field(default_factory=dict)
    deployed_link_references: JsonObject = field(default_factory=dict)

    @property
    def deployed_size(self) -> int:
        """Size in bytes of the runtime code, the number EIP-170 limits."""
        return len(self.deployed_bytecode.removeprefix("0x")) // 2

    @property
    def is_deployable(self) -> bool:
        """False for interfaces and abstract contracts, which have no bytecode."""
        return len(self.bytecode) > 2

    def to_json(self) -> JsonObject:
        return {
            "contractName": self.contract_name,
            "sourceName": self.source_name,
            "abi": self.abi,
            "bytecode": self.bytecode,
            "deployedBytecode": self.deployed_bytecode,
            "linkReferences": self.link_references,
            "deployedLinkReferences": self.deployed_link_references,
            "metadata": self.metadata,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Artifact:
        return cls(
            contract_name=data["contractName"],
            source_name=data["sourceName"],
            abi=data["abi"],
            bytecode=data["bytecode"],
            deployed_bytecode=data["deployedBytecode"],
            metadata=data["metadata"],
            link_references=data.get("linkReferences", {}),
            deployed_link_references=data.get("deployedLinkReferences", {}),
        )


# --- pure helpers: configuration, import graph, stamp ---------------------------------------

_COMMENT_OR_STRING = re.compile(
    r"""("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')|(//[^\n]*|/\*.*?\*/)""", re.DOTALL
)
_IMPORT = re.compile(r"""\bimport\s+(?:[^;"']*?\s+from\s+)?["']([^"']+)["']""")


def parse_compiler_config(text: str, where: str = COMPILER_CONFIG) -> CompilerConfig:
    """Validate the text of ``contracts/compiler.json``."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"not valid JSON: {exc}", where=where) from None
    if not isinstance(data, dict):
        raise ConfigError("expected an object with 'version' and 'settings'", where=where)
    version, settings = data.get("version"), data.get("settings")
    if not isinstance(version, str) or not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise ConfigError(f"'version' must be like '0.8.37', got {version!r}", where=where)
    if not isinstance(settings, dict):
        raise ConfigError("'settings' must be an object", where=where)
    return CompilerConfig(version=version, settings=settings)


def load_compiler_config(root: Path | None = None) -> CompilerConfig:
    """Read ``contracts/compiler.json`` under ``root``."""
    path = (root or repo_root()) / COMPILER_CONFIG
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", where=str(path)) from None
    return parse_compiler_config(text, where=str(path))


def find_imports(source: str) -> list[str]:
    """The import paths of a Solidity source, in order, ignoring comments."""
    code = _COMMENT_OR_STRING.sub(lambda m: m.group(1) or " ", source)
    return _IMPORT.findall(code)


def import_unit_name(importer: str, path: str) -> str:
    """The source unit name solc gives ``import path`` written in unit ``importer``.

    Relative imports (``./``, ``../``) are joined to the importer's directory; any other path is
    already a unit name (``@openzeppelin/contracts/...`` or ``contracts/...``).
    """
    if path.startswith(("./", "../")):
        return posixpath.normpath(posixpath.join(posixpath.dirname(importer), path))
    return path


def _digest(data: str | bytes) -> str:
    return sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def input_stamp_lines(config: CompilerConfig, sources: Mapping[str, str]) -> list[str]:
    """The cache file's input lines, ``<sha256>  <what>`` (sha256sum style), in a stable order."""
    settings = json.dumps(config.settings, sort_keys=True, separators=(",", ":"))
    lines = [f"{_digest(config.version)}  compiler solc {config.version}"]
    lines.append(f"{_digest(settings)}  settings")
    lines += [f"{_digest(sources[name])}  source {name}" for name in sorted(sources)]
    return lines


def artifact_stamp_lines(files: Mapping[str, bytes]) -> list[str]:
    """The cache file's output lines: the sha256 of each artifact file, by contract name."""
    return [f"{_digest(files[name])}  artifact {name}" for name in sorted(files)]


# --- I/O --------------------------------------------------------------------------------------


def _search_dirs(root: Path) -> list[Path]:
    """Where a source unit name is looked up: the project, then node_modules (Hardhat's order)."""
    return [root, *node_modules_dirs(root)]


def _read_source(path: Path) -> str:
    # Bytes, not text mode: newline translation would change the content and its keccak.
    return path.read_bytes().decode("utf-8")


def resolve_sources(entries: Mapping[str, str], root: Path) -> dict[str, str]:
    """``entries`` plus every source they import, transitively: unit name -> content.

    An import that cannot be found is left out; solc then reports it with file and line.
    """
    sources = dict(entries)
    pending = list(entries)
    dirs = _search_dirs(root)
    while pending:
        importer = pending.pop()
        for path in find_imports(sources[importer]):
            name = import_unit_name(importer, path)
            if name in sources or name.startswith("../"):
                continue
            for base in dirs:
                candidate = base / name
                if candidate.is_file():
                    sources[name] = _read_source(candidate)
                    pending.append(name)
                    break
    return sources


def contract_sources(root: Path) -> dict[str, str]:
    """Every ``contracts/**/*.sol``, keyed by its repo-relative path."""
    files = sorted((root / "contracts").rglob("*.sol"))
    return {p.relative_to(root).as_posix(): _read_source(p) for p in files}


def _solc_binary(config: CompilerConfig) -> Path:
    """A native ``solc`` on PATH when it is the pinned version (faster), else the solc-js wrapper.

    Both produce the same bytecode: the metadata records the strict version string, without
    the platform suffix.
    """
    native = shutil.which("solc")
    if native:
        try:
            out = subprocess.run(
                [native, "--version"], capture_output=True, text=True, timeout=30, check=False
            ).stdout
        except OSError:
            out = ""
        if f"Version: {config.version}+" in out:
            return Path(native)
    if shutil.which("node") is None:
        raise ToolchainError("node is not on PATH; it runs the solc-js compiler (install Node 20)")
    return WRAPPER


def _run_solc(config: CompilerConfig, sources: Mapping[str, str]) -> JsonObject:
    standard_input = {
        "language": "Solidity",
        "sources": {name: {"content": sources[name]} for name in sorted(sources)},
        "settings": {**config.settings, "outputSelection": _OUTPUT_SELECTION},
    }
    binary = _solc_binary(config)
    try:
        output: JsonObject = compile_standard(standard_input, solc_binary=binary)
    except SolcError as exc:
        if exc.error_dict:  # compile errors: solc's own formatted messages say it all
            raise ToolchainError(f"compilation failed:\n{exc.message.rstrip()}") from None
        stderr = (exc.stderr_data or "").strip().splitlines()[-10:]
        raise ToolchainError(
            f"{binary} failed (exit {exc.return_code}): {exc.message}\n" + "\n".join(stderr)
        ) from None
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        raise ToolchainError(f"cannot run {binary}: {exc}") from None
    return output


@dataclass(frozen=True)
class CompilerWarning:
    """A solc warning or info: the source unit it is about (if any) and solc's formatted text."""

    source: str | None
    message: str

    @property
    def in_dependency(self) -> bool:
        """True for warnings about imported library code (e.g. OpenZeppelin), not ours."""
        return self.source is not None and not self.source.startswith(("contracts/", "tests/"))


def _warnings(output: JsonObject) -> list[CompilerWarning]:
    return [
        CompilerWarning(
            source=(e.get("sourceLocation") or {}).get("file"),
            message=str(e.get("formattedMessage") or e.get("message")).rstrip(),
        )
        for e in output.get("errors", [])
        if e.get("severity") != "error"
    ]


def _artifacts_from_output(
    output: JsonObject, emit_for: Iterable[str], config: CompilerConfig
) -> dict[str, Artifact]:
    artifacts: dict[str, Artifact] = {}
    contracts: dict[str, dict[str, JsonObject]] = output.get("contracts", {})
    for source_name in sorted(emit_for):
        for name, out in sorted(contracts.get(source_name, {}).items()):
            if name in artifacts:
                raise ToolchainError(
                    f"two contracts named {name}: {artifacts[name].source_name} and "
                    f"{source_name}; artifacts are keyed by name, rename one"
                )
            metadata = out["metadata"]
            compiled_with = json.loads(metadata)["compiler"]["version"]
            if not compiled_with.startswith(f"{config.version}+"):
                raise ToolchainError(
                    f"{COMPILER_CONFIG} pins solc {config.version} but the compiler is "
                    f"{compiled_with}; run npm ci"
                )
            evm = out["evm"]
            artifacts[name] = Artifact(
                contract_name=name,
                source_name=source_name,
                abi=out["abi"],
                bytecode="0x" + evm["bytecode"]["object"],
                deployed_bytecode="0x" + evm["deployedBytecode"]["object"],
                metadata=metadata,
                link_references=evm["bytecode"].get("linkReferences", {}),
                deployed_link_references=evm["deployedBytecode"].get("linkReferences", {}),
            )
    return artifacts


def compile_files(
    entries: Mapping[str, str],
    root: Path | None = None,
    on_warning: Callable[[CompilerWarning], None] | None = None,
) -> dict[str, Artifact]:
    """Compile the given sources (unit name -> content) with the project's settings, no cache.

    Artifacts are made for the contracts of ``entries`` only, not for what they import. Used by
    :func:`compile_contracts` and by tests that compile a fixture contract.
    """
    root = (root or repo_root()).resolve()
    config = load_compiler_config(root)
    sources = resolve_sources(entries, root)
    output = _run_solc(config, sources)
    if on_warning is not None:
        for warning in _warnings(output):
            on_warning(warning)
    return _artifacts_from_output(output, entries, config)


def _artifact_bytes(artifact: Artifact) -> bytes:
    return (json.dumps(artifact.to_json(), indent=2) + "\n").encode()


def _read_stamp(out_dir: Path) -> list[str] | None:
    try:
        lines = (out_dir / STAMP_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    return [line for line in lines if line and not line.startswith("#")]


def _cached_artifacts(out_dir: Path, expected_inputs: list[str]) -> dict[str, Artifact] | None:
    """The cached artifacts if the stamp's inputs match and every artifact file is intact."""
    stamp = _read_stamp(out_dir)
    if stamp is None:
        return None
    inputs = [line for line in stamp if " artifact " not in line]
    if inputs != expected_inputs:
        return None
    artifacts: dict[str, Artifact] = {}
    for line in stamp[len(inputs) :]:
        digest, _, name = line.partition("  artifact ")
        try:
            data = (out_dir / f"{name}.json").read_bytes()
        except OSError:
            return None
        if sha256(data).hexdigest() != digest:
            return None
        artifacts[name] = Artifact.from_json(json.loads(data))
    return artifacts


def _write_atomically(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as f:
        f.write(data)
    os.replace(f.name, path)


def _write_artifacts(out_dir: Path, artifacts: Mapping[str, Artifact], inputs: list[str]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / STAMP_FILE).unlink(missing_ok=True)  # invalid while the files change
    for old in out_dir.glob("*.json"):
        if old.stem not in artifacts:
            old.unlink()
    written = {name: _artifact_bytes(a) for name, a in artifacts.items()}
    for name, data in written.items():
        _write_atomically(out_dir / f"{name}.json", data)
    header = "# onelist build cache: sha256 of every input and output; rebuilt when a line differs"
    _write_atomically(
        out_dir / STAMP_FILE,
        "\n".join([header, *inputs, *artifact_stamp_lines(written), ""]).encode(),
    )


def is_up_to_date(root: Path | None = None) -> bool:
    """True when build/contracts matches the current sources, settings and compiler."""
    root = (root or repo_root()).resolve()
    config = load_compiler_config(root)
    inputs = input_stamp_lines(config, resolve_sources(contract_sources(root), root))
    return _cached_artifacts(root / ARTIFACTS_DIR, inputs) is not None


def compile_contracts(
    root: Path | None = None,
    force: bool = False,
    on_warning: Callable[[CompilerWarning], None] | None = None,
) -> dict[str, Artifact]:
    """Compile every ``contracts/**/*.sol`` unless the cache is fresh; artifacts by contract name.

    ``force`` recompiles even when nothing changed. Warnings from solc go to ``on_warning``
    (only when solc actually runs). Raises :class:`ToolchainError` with solc's messages when
    the sources do not compile.
    """
    root = (root or repo_root()).resolve()
    config = load_compiler_config(root)
    entries = contract_sources(root)
    sources = resolve_sources(entries, root)
    inputs = input_stamp_lines(config, sources)
    out_dir = root / ARTIFACTS_DIR
    if not force:
        cached = _cached_artifacts(out_dir, inputs)
        if cached is not None:
            return cached
    if not entries:
        artifacts: dict[str, Artifact] = {}
    else:
        output = _run_solc(config, sources)
        if on_warning is not None:
            for warning in _warnings(output):
                on_warning(warning)
        artifacts = _artifacts_from_output(output, entries, config)
    _write_artifacts(out_dir, artifacts, inputs)
    return artifacts


def load_artifacts(root: Path | None = None) -> dict[str, Artifact]:
    """All artifacts, compiling first if any source, setting or the compiler changed."""
    return compile_contracts(root)


def load_artifact(name: str, root: Path | None = None) -> Artifact:
    """One contract's artifact by name (e.g. ``"Consortium"``), compiling first if stale."""
    artifacts = load_artifacts(root)
    try:
        return artifacts[name]
    except KeyError:
        known = ", ".join(sorted(artifacts)) or "none"
        raise ToolchainError(
            f"no contract named {name!r} under contracts/ (known: {known})"
        ) from None
