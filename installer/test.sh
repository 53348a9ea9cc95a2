#!/usr/bin/env bash
# Set up what is missing (with the real-window tools: Xvfb, xdotool, CUPS + cups-pdf), make sure
# the PostgreSQL test server runs if it is installed, then run the whole test suite (offscreen,
# warnings are errors; tests/gui_real starts its own Xvfb). Extra arguments go to pytest.
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
exec .venv/bin/python -m pytest "$@"
