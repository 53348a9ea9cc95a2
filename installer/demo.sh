#!/usr/bin/env bash
# Set up what is missing, then open the station in demo mode (fresh temporary database,
# simulated meters). Without a display it renders every page to ./screenshots instead.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/installer/bootstrap.sh" --gui
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    echo "demo: no display found; rendering the demo station's pages to $ROOT/screenshots" >&2
    QT_QPA_PLATFORM=offscreen exec "$ROOT/.venv/bin/meterstation" screenshot "$ROOT/screenshots" --demo "$@"
fi
exec "$ROOT/.venv/bin/meterstation" --demo "$@"
