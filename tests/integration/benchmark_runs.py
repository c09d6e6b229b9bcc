"""Running a script of benchmarks/ as people start it, for the tests of its small runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def one_json_object(repo_root: Path, script: str, *args: str, timeout: float) -> Any:
    """Run ``benchmarks/<script>`` with ``args``; it must exit 0 having printed exactly one
    line, a JSON object, which is returned."""
    done = subprocess.run(
        [sys.executable, str(repo_root / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=repo_root,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout
    return json.loads(lines[0])
