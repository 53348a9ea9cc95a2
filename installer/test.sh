#!/usr/bin/env bash
# Set up what is missing (with the real-window tools: Xvfb, xdotool, CUPS + cups-pdf), make sure
# the PostgreSQL test server runs if it is installed, then run the whole test suite (offscreen,
# warnings are errors; tests/ui/xvfb starts its own Xvfb). Without arguments the suite runs in two
# parts: everything not marked `serial` on every core (pytest-xdist, one worker per CPU, tests of one
# module kept together), then the `serial` tests (they measure time or responsiveness) alone. With
# arguments, pytest runs once with them, in one process.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash installer/bootstrap.sh --test
if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    ver="$(ls /etc/postgresql | head -n1)"
    if ! pg_lsclusters -h 2>/dev/null | grep -q "online"; then
        echo "test: starting PostgreSQL $ver" >&2
        pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
    fi
fi
export QT_QPA_PLATFORM=offscreen
if (($#)); then
    exec .venv/bin/python -m pytest "$@"
fi
# A test still running two minutes past its timeout writes every thread's stack here and ends its
# process (tests/backstop.py); a crashed worker ends the run (xdist would run the test again in a
# new worker, each time until its own timeout); the stacks are printed after pytest.
METERSTATION_HANG_DIR="$(mktemp -d)"
export METERSTATION_HANG_DIR
hangs() {
    local f
    for f in "$METERSTATION_HANG_DIR"/meterstation-hang-*.txt; do
        [ -e "$f" ] || continue
        echo "=== a test that hung: $(basename "$f") ===" >&2
        cat "$f" >&2
        rm -f "$f"
    done
}
status=0
.venv/bin/python -m pytest -n "${METERSTATION_TEST_WORKERS:-auto}" --dist loadscope --max-worker-restart 0 \
    -m "not serial" || status=$?
hangs
.venv/bin/python -m pytest -m serial || { rc=$?; [ "$status" -ne 0 ] || status=$rc; }
hangs
rmdir "$METERSTATION_HANG_DIR" 2>/dev/null || true
exit "$status"
