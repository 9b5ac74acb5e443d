#!/usr/bin/env bash
# Run the whole pipeline locally on generated sample data, or on your own with --input:
#   detect PII -> mask -> transform (tokenize, bin, encode, flag anomalies) -> leak check.
# Each job is the unchanged glue_jobs/<job>.py script, run with spark-submit on local[*].
#
#   scripts/run_local.sh [--rows N] [--output DIR] [any other `secure-transform run` option]
#   scripts/run_local.sh --input FILE_OR_DIR [--column-map YOURS=OURS,...] [--pii-columns a,b]
#
# Defaults: --rows 100000 --output local_run/. Writes DIR/run_summary.json and DIR/report.html and
# prints a summary (--json: JSON instead). See `secure-transform run --help`.
source "$(dirname "$0")/_env.sh"
check_java
ensure_venv ""
# no cd: --input, --output and @FILE values are relative to where the user runs this script
ROWS=""
OUTPUT="$ROOT/local_run"
PASS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS="$2"; shift 2 ;;
    --rows=*) ROWS="${1#*=}"; shift ;;
    --output) OUTPUT="$2"; shift 2 ;;
    --output=*) OUTPUT="${1#*=}"; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) PASS+=("$1"); shift ;;
  esac
done
# --rows only when given: with --input it is refused (it sizes generated data), without it defaults to 100,000
"$VENV/bin/secure-transform" run --spark-submit --jobs-dir "$ROOT/glue_jobs" ${ROWS:+--rows "$ROWS"} \
  --output "$OUTPUT" ${PASS[@]+"${PASS[@]}"} \
  || die "the local pipeline failed (see the message above and the logs in $OUTPUT/summaries/)"
