#!/usr/bin/env bash
# Run the whole pipeline locally on generated sample data:
#   detect PII -> mask -> transform (tokenize, bin, encode, flag anomalies) -> leak check.
# Each job is the unchanged glue_jobs/<job>.py script, run with spark-submit on local[*].
#
#   scripts/run_local.sh [--rows N] [--output DIR] [any other `secure-transform run` option]
#
# Defaults: --rows 100000 --output local_run/. Writes DIR/run_summary.json.
source "$(dirname "$0")/_env.sh"
check_java
ensure_venv ""
cd "$ROOT"
ROWS=100000
OUTPUT="$ROOT/local_run"
PASS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS="$2"; shift 2 ;;
    --rows=*) ROWS="${1#*=}"; shift ;;
    --output) OUTPUT="$2"; shift 2 ;;
    --output=*) OUTPUT="${1#*=}"; shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) PASS+=("$1"); shift ;;
  esac
done
"$VENV/bin/secure-transform" run --spark-submit --jobs-dir "$ROOT/glue_jobs" --rows "$ROWS" --output "$OUTPUT" "${PASS[@]}" \
  || die "the local pipeline failed (see the message above and the logs in $OUTPUT/summaries/)"
"$VENV/bin/python" - "$OUTPUT/run_summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
ok = s["rows_in"] == s["rows_out"] + s["rows_quarantined"]
print()
print("secure-ml-transform local run")
print(f"  rows in            {s['rows_in']:>12,}")
print(f"  rows out           {s['rows_out']:>12,}   (published: {s.get('published')})")
print(f"  rows quarantined   {s['rows_quarantined']:>12,}   {s.get('reject_reasons', {})}")
print(f"  anomalies flagged  {s['anomalies_flagged']:>12,}")
print(f"  leak findings      {s['leak_findings']:>12,}")
print(f"  PII columns        {', '.join(s['pii_columns_protected'])}")
for st in s["stages"]:
    print(f"  {st['name']:<18} {st['seconds'] or 0:>8.1f}s  in {st['rows_in'] or 0:>10,}  out {st['rows_out'] or 0:>10,}")
r = s.get("reidentification_risk")
if r:
    b = r.get("before_suppression") or r
    print(f"  re-identification risk over {', '.join(r['quasi_identifiers'])} (min_k {r['min_k']}, {r['action']}):")
    print(f"    before: k={b['k']}, {b['rows_below_min_k']:,} rows ({100 * b['share_rows_below_min_k']:.2f}%) "
          f"in {b['classes_below_min_k']:,} classes below min_k")
    print(f"    published: k={r['k']}, l({r.get('sensitive_column')})={r.get('l')}, "
          f"suppressed {sum((r.get('rows_suppressed') or {}).values()):,} rows, gate {'passed' if r['passed'] else 'FAILED'}")
print(f"  rows_in == rows_out + rows_quarantined: {ok}")
print(f"  summary: {sys.argv[1]}")
if s.get("report"):
    print(f"  report:  {s['report']}")
sys.exit(0 if ok else 3)
PY
