#!/usr/bin/env bash
# Builds the one-folder frozen program with PyInstaller from installer/meterstation.spec:
#   bash installer/build.sh [--force]
# Result: dist/meterstation/ (Linux: dist/meterstation/meterstation; Windows: meterstation.exe, the
# GUI without a console, and meterstation-cli.exe for the command line). Set DIST_DIR / WORK_DIR to
# build elsewhere (the frozen-program test builds into a temporary folder). A build whose inputs
# (sources, data files, spec, installed packages: installer/inputs_hash.py) have not changed is
# reused unless --force is given. PyInstaller comes from the `build` extra of pyproject.toml and is
# installed into .venv when missing. On Windows run it from Git Bash (PYTHON=.venv/Scripts/python).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DIST_DIR="${DIST_DIR:-$ROOT/dist}"
WORK_DIR="${WORK_DIR:-$ROOT/build}"
FORCE=0; [ "${1:-}" = "--force" ] && FORCE=1

PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || bash installer/bootstrap.sh
if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
    echo "build: installing PyInstaller (extra 'build') into .venv" >&2
    CONSTRAINTS=(); [ -f installer/constraints.txt ] && CONSTRAINTS=(-c installer/constraints.txt)
    "$PY" -m pip install -q ${CONSTRAINTS[@]+"${CONSTRAINTS[@]}"} -e ".[build]"
fi

mkdir -p "$DIST_DIR" "$WORK_DIR"
if command -v flock >/dev/null; then     # two builds into one folder wait for each other
    exec 9>"$DIST_DIR/.build-lock"
    flock 9
fi

HASH="$("$PY" installer/inputs_hash.py)"
STAMP="$DIST_DIR/meterstation/.inputs-hash"
if [ "$FORCE" = 0 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HASH" ]; then
    echo "build: $DIST_DIR/meterstation is up to date (inputs $HASH)" >&2
    exit 0
fi

start=$(date +%s)
rm -f "$STAMP"
"$PY" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$DIST_DIR" --workpath "$WORK_DIR" installer/meterstation.spec
"$PY" installer/bundle_check.py "$DIST_DIR/meterstation"     # every module and data file, or fail
echo "$HASH" > "$STAMP"
echo "build: $DIST_DIR/meterstation built in $(( $(date +%s) - start )) s," \
     "$(du -sh "$DIST_DIR/meterstation" | cut -f1) (inputs $HASH)" >&2
