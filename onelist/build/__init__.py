"""Offline contract build: solc-js (or a native solc of the pinned version) via py-solc-x.

``contracts/compiler.json`` pins the compiler and settings for both this build and Hardhat, so
the bytecode they produce is byte-identical.
"""

from onelist.build.compiler import (
    MAX_DEPLOYED_SIZE,
    Artifact,
    CompilerConfig,
    CompilerWarning,
    compile_contracts,
    compile_files,
    is_up_to_date,
    load_artifact,
    load_artifacts,
    load_compiler_config,
    repo_root,
)

__all__ = [
    "MAX_DEPLOYED_SIZE",
    "Artifact",
    "CompilerConfig",
    "CompilerWarning",
    "compile_contracts",
    "compile_files",
    "is_up_to_date",
    "load_artifact",
    "load_artifacts",
    "load_compiler_config",
    "repo_root",
]
