#!/usr/bin/env bash
# Screenshot a run report the way an analyst first sees it: headless Chromium, 1400 px wide.
#
#   scripts/screenshot_report.sh [REPORT_HTML] [OUTPUT_PNG] [HEIGHT]
#
# Defaults: local_run/report.html, local_run/report.png, 900 px (one screen; give e.g. 7000 for the
# whole page). Needs the Debian `chromium` package (apt-get install -y chromium); without it the
# script says so and exits 0, so a machine without a browser skips the check instead of failing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPORT="${1:-$ROOT/local_run/report.html}"
OUT="${2:-$ROOT/local_run/report.png}"
HEIGHT="${3:-900}"
WIDTH="${SCREENSHOT_WIDTH:-1400}"

browser=""
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then browser="$(command -v "$candidate")"; break; fi
done
if [ -z "$browser" ]; then
  echo "screenshot_report: skipped: no chromium found (Debian: apt-get install -y chromium)" >&2
  exit 0
fi
[ -f "$REPORT" ] || { echo "error: report not found: $REPORT (run scripts/run_local.sh first)" >&2; exit 1; }
case "$HEIGHT" in ''|*[!0-9]*) echo "error: HEIGHT must be a number of pixels, got '$HEIGHT'" >&2; exit 1 ;; esac

profile="$(mktemp -d)"  # a fresh profile: nothing from (or to) a user's browser
trap 'rm -rf "$profile"' EXIT
mkdir -p "$(dirname "$OUT")"
# --no-sandbox: needed when running as root (containers, CI); the page is our own self-contained file
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --disable-default-apps \
  --user-data-dir="$profile" --window-size="$WIDTH,$HEIGHT" --screenshot="$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")" \
  "file://$(cd "$(dirname "$REPORT")" && pwd)/$(basename "$REPORT")" >/dev/null 2>&1 \
  || { echo "error: chromium could not render $REPORT" >&2; exit 1; }
[ -s "$OUT" ] || { echo "error: chromium wrote no screenshot to $OUT" >&2; exit 1; }
echo "screenshot: $OUT (${WIDTH}x${HEIGHT})"
