"""The compiler's pure helpers: import discovery, unit names, configuration, cache stamp."""

from __future__ import annotations

import pytest

from onelist.build.compiler import (
    CompilerConfig,
    find_imports,
    import_unit_name,
    input_stamp_lines,
    parse_compiler_config,
)
from onelist.errors import ConfigError


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('import "./A.sol";', ["./A.sol"]),
        ("import './A.sol' as A;", ["./A.sol"]),
        (
            'import {X, Y as Z} from "@openzeppelin/contracts/X.sol";',
            ["@openzeppelin/contracts/X.sol"],
        ),
        ('import * as L from "../common/L.sol";', ["../common/L.sol"]),
        ('import {\n  X,\n  Y\n} from "./multi.sol";', ["./multi.sol"]),
        ('// import "./commented.sol";\nimport "./real.sol";', ["./real.sol"]),
        ('/* import "./block.sol"; */ import "./real.sol";', ["./real.sol"]),
        ('string constant S = "import \\"./in-string.sol\\";";', []),
        ('string constant U = "https://x/*"; import "./after-url.sol";', ["./after-url.sol"]),
        ("contract reimport {}", []),
    ],
    ids=[
        "a plain import is found",
        "a single-quoted aliased import is found",
        "named symbols from a package are found",
        "a namespace import of a parent path is found",
        "an import across lines is found",
        "a line comment hides an import",
        "a block comment hides an import",
        "an import inside a string literal is ignored",
        "a comment opener inside a string does not hide what follows",
        "an identifier containing import is not an import",
    ],
)
def test_find_imports(source: str, expected: list[str]) -> None:
    assert find_imports(source) == expected


@pytest.mark.parametrize(
    ("importer", "path", "expected"),
    [
        ("contracts/listing/L.sol", "./IL.sol", "contracts/listing/IL.sol"),
        ("contracts/listing/L.sol", "../common/T.sol", "contracts/common/T.sol"),
        (
            "contracts/listing/L.sol",
            "@openzeppelin/contracts/a/B.sol",
            "@openzeppelin/contracts/a/B.sol",
        ),
        ("@openzeppelin/contracts/a/B.sol", "../c/D.sol", "@openzeppelin/contracts/c/D.sol"),
        ("contracts/L.sol", "contracts/common/T.sol", "contracts/common/T.sol"),
    ],
    ids=[
        "a sibling import joins the importer's directory",
        "a parent import climbs one directory",
        "a package import is already a unit name",
        "a relative import inside a package stays in the package",
        "a root-relative import is already a unit name",
    ],
)
def test_import_unit_name(importer: str, path: str, expected: str) -> None:
    assert import_unit_name(importer, path) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ("[]", "expected an object"),
        ('{"version": "0.8", "settings": {}}', "'version' must be like"),
        ('{"version": "0.8.37", "settings": []}', "'settings' must be an object"),
    ],
    ids=[
        "broken JSON is refused",
        "a list is refused",
        "a partial version is refused",
        "settings that are not an object are refused",
    ],
)
def test_parse_compiler_config_refuses(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_compiler_config(text)


def test_parse_compiler_config_reads_version_and_settings() -> None:
    config = parse_compiler_config('{"version": "0.8.37", "settings": {"viaIR": false}}')
    assert config == CompilerConfig("0.8.37", {"viaIR": False})


BASE = CompilerConfig("0.8.37", {"optimizer": {"enabled": True, "runs": 200}})
SOURCES = {"contracts/A.sol": "contract A {}", "@oz/B.sol": "library B {}"}


@pytest.mark.parametrize(
    ("config", "sources", "changed"),
    [
        (BASE, SOURCES, False),
        (CompilerConfig("0.8.37", {"optimizer": {"runs": 200, "enabled": True}}), SOURCES, False),
        (CompilerConfig("0.8.38", BASE.settings), SOURCES, True),
        (CompilerConfig("0.8.37", {"optimizer": {"enabled": True, "runs": 1}}), SOURCES, True),
        (BASE, {**SOURCES, "contracts/A.sol": "contract A { }"}, True),
        (BASE, {**SOURCES, "contracts/C.sol": "contract C {}"}, True),
        (BASE, {"contracts/A.sol": "contract A {}"}, True),
    ],
    ids=[
        "the same inputs give the same stamp",
        "key order in the settings does not matter",
        "another compiler version changes the stamp",
        "other settings change the stamp",
        "an edited source changes the stamp",
        "an added source changes the stamp",
        "a removed import changes the stamp",
    ],
)
def test_input_stamp_lines(config: CompilerConfig, sources: dict[str, str], changed: bool) -> None:
    assert (input_stamp_lines(config, sources) != input_stamp_lines(BASE, SOURCES)) is changed
