#!/usr/bin/env bash
# ./onelist.sh: bootstrap the toolchain on a fresh checkout, then run a command.
# (Named .sh because ./onelist is the Python package's directory.)
#
#   ./onelist.sh test [pytest args]   lint, format check, type check, tests; non-zero if any fails
#   ./onelist.sh <anything else>      the `onelist` command of the project's virtualenv
#
# Needs only python3.11, node 20 and the package registries: creates .venv, installs the Python
# package with its dev extras when pyproject.toml changed, and runs `npm ci` when
# package-lock.json changed. Stamps record what was installed, so later runs start at once.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$ROOT/.venv"
PYTHON="${ONELIST_PYTHON:-python3.11}"
STATE="$ROOT/.onelist"

say() { echo "onelist: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# Run "$@" quietly; on failure show the end of its output.
quietly() {
  local log="$STATE/bootstrap.log"
  if ! "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "failed: $* (full log: $log)"
  fi
}

bootstrap_python() {
  local stamp="$VENV/.onelist-installed"
  if [ ! -x "$VENV/bin/python" ]; then
    command -v "$PYTHON" >/dev/null || die "$PYTHON not found (set ONELIST_PYTHON to a Python 3.11)"
    say "creating .venv with $PYTHON"
    quietly "$PYTHON" -m venv "$VENV"
  fi
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ] || [ ! -x "$VENV/bin/onelist" ]; then
    say "installing Python packages (pip install -e '.[dev]')"
    quietly "$VENV/bin/python" -m pip install --disable-pip-version-check -e "$ROOT[dev]"
    touch "$stamp"
  fi
}

# The browser tests (tests/web) drive Debian's Chromium through Playwright, never a browser
# Playwright downloads: the machines are offline but for the package registries. A CJK font,
# or the pages' Chinese shows as boxes in the tests' screenshots.
BROWSER_FILES=(/usr/bin/chromium /usr/share/fonts/truetype/wqy/wqy-microhei.ttc)
bootstrap_chromium() {
  local missing=0 file
  for file in "${BROWSER_FILES[@]}"; do [ -e "$file" ] || missing=1; done
  [ "$missing" -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "${BROWSER_FILES[*]}: missing, and apt-get is not here: install Debian's chromium and fonts-wqy-microhei"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
  local install=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei)
  say "installing chromium and fonts-wqy-microhei (apt-get) for the browser tests"
  if ! "${install[@]}" >"$STATE/chromium.log" 2>&1; then
    quietly "${sudo[@]}" apt-get update -qq
    quietly "${install[@]}"
  fi
  for file in "${BROWSER_FILES[@]}"; do
    [ -e "$file" ] || die "apt-get installed chromium and fonts-wqy-microhei but $file is missing"
  done
}

bootstrap_node() {
  local stamp="$ROOT/node_modules/.onelist-installed"
  command -v node >/dev/null || die "node not found (Node 20 or later is needed)"
  if [ ! -f "$stamp" ] || [ "$ROOT/package-lock.json" -nt "$stamp" ]; then
    say "installing npm packages (npm ci)"
    # --prefer-offline: tarballs already in npm's cache are not re-checked with the registry
    # (package-lock.json pins each one's version and integrity hash, which npm ci verifies).
    quietly npm ci --prefix "$ROOT" --no-audit --no-fund --prefer-offline
    touch "$stamp"
  fi
}

mkdir -p "$STATE"
# One bootstrap at a time: two commands started together must not both run pip or npm ci.
if command -v flock >/dev/null; then
  exec 9>"$STATE/bootstrap.lock"
  flock 9
fi
bootstrap_python
bootstrap_node
if command -v flock >/dev/null; then
  exec 9>&-
fi

if [ "${1:-}" = "test" ]; then
  shift
  cd "$ROOT"
  bootstrap_chromium
  # PostgreSQL runs on every machine of this project and in CI: its tests must not be skipped.
  export ONELIST_REQUIRE_POSTGRES="${ONELIST_REQUIRE_POSTGRES:-1}"
  failed=()
  check() {
    echo "+ ${*#"$VENV/bin/"}" >&2
    "$@" || failed+=("${1##*/}${2:+ $2}")
  }
  check "$VENV/bin/ruff" check .
  check "$VENV/bin/ruff" format --check .
  check "$VENV/bin/mypy" onelist listing node
  check "$VENV/bin/pytest" -q "$@"
  if [ "${#failed[@]}" -gt 0 ]; then
    die "failed: $(IFS=,; echo "${failed[*]}" | sed 's/,/, /g')"
  fi
  say "all checks passed"
  exit 0
fi

exec "$VENV/bin/onelist" "$@"
