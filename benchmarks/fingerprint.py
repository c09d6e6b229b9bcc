"""Dataset fingerprint throughput next to ``sha256sum`` over the same files, in one run.

    .venv/bin/python benchmarks/fingerprint.py            # 2 GB (the figure in docs/performance.md)
    .venv/bin/python benchmarks/fingerprint.py --gb 0.2   # a quick run

Writes the files to a temporary folder, reads them once to warm the page cache, then times
``onelist listing fingerprint`` (the real command, in its own process) and ``sha256sum`` over
the same files, alternately, ``--runs`` times each, keeping each one's best. Checks the two agree
on every file's hash. Prints one JSON object on stdout:
``{"onelist_mb_per_s", "sha256sum_mb_per_s", "ratio", "peak_rss_mb"}`` (MB = 10^6 bytes;
peak RSS of the onelist process, in MiB); details go to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = 1 << 20
FILE_SIZE = 64 << 20


def generate(folder: Path, total: int) -> list[Path]:
    """Files of 64 MiB (the last one shorter) with distinct pseudo-random content."""
    block = bytearray(os.urandom(BLOCK))
    files = []
    written = 0
    index = 0
    while written < total:
        path = folder / f"part-{index:05}.bin"
        size = min(FILE_SIZE, total - written)
        with path.open("wb") as f:
            left = size
            while left:
                block[:8] = (written + size - left).to_bytes(8, "little")  # every block differs
                n = min(left, BLOCK)
                f.write(block[:n])
                left -= n
        files.append(path)
        written += size
        index += 1
    return files


def timed(argv: list[str]) -> tuple[float, int, str]:
    """Wall time, peak RSS (KiB) and stdout of one process."""
    start = time.perf_counter()
    with subprocess.Popen(argv, stdout=subprocess.PIPE, cwd=ROOT) as process:
        out = process.stdout.read() if process.stdout else b""
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"{argv[0]} failed with exit code {process.returncode}")
    return elapsed, usage.ru_maxrss, out.decode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=2.0, help="dataset size in GB (default 2)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (default 3)")
    parser.add_argument("--dir", help="where to create the temporary dataset (default $TMPDIR)")
    args = parser.parse_args()
    total = int(args.gb * 1e9)
    if total <= 0 or args.runs <= 0:
        parser.error("--gb and --runs must be positive")
    if shutil.which("sha256sum") is None:
        parser.error("sha256sum is not on PATH")

    with tempfile.TemporaryDirectory(prefix="onelist-bench-", dir=args.dir) as tmp:
        data = Path(tmp) / "dataset"
        data.mkdir()
        started = time.perf_counter()
        files = generate(data, total)
        print(
            f"generated {len(files)} files, {total / 1e9:.2f} GB in "
            f"{time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        out_file = Path(tmp) / "fingerprint.json"
        onelist = [sys.executable, "-m", "onelist.cli", "listing", "fingerprint", "-q"]
        onelist += [str(data), "-o", str(out_file)]
        sha256sum = ["sha256sum", *map(str, files)]

        timed(sha256sum)  # warm the page cache: both then read from memory
        best_onelist = best_sha = float("inf")
        peak_kib = 0
        sums = ""
        for run in range(args.runs):
            elapsed, rss, _ = timed(onelist)
            best_onelist = min(best_onelist, elapsed)
            peak_kib = max(peak_kib, rss)
            elapsed_sha, _, sums = timed(sha256sum)
            best_sha = min(best_sha, elapsed_sha)
            print(
                f"run {run + 1}: onelist {elapsed:.2f} s, sha256sum {elapsed_sha:.2f} s",
                file=sys.stderr,
            )

        expected = {Path(line.split()[1]).name: line.split()[0] for line in sums.splitlines()}
        fingerprint = json.loads(out_file.read_text("utf-8"))
        got = {f["path"]: f["sha256"][2:] for f in fingerprint["files"]}
        if got != expected:
            raise SystemExit("onelist and sha256sum disagree on a file's hash")
        print(f"root {fingerprint['root']}; per-file hashes agree", file=sys.stderr)

    onelist_rate = total / 1e6 / best_onelist
    sha_rate = total / 1e6 / best_sha
    result = {
        "onelist_mb_per_s": round(onelist_rate, 1),
        "sha256sum_mb_per_s": round(sha_rate, 1),
        "ratio": round(onelist_rate / sha_rate, 3),
        "peak_rss_mb": round(peak_kib / 1024, 1),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
