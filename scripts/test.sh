#!/usr/bin/env bash
# Run every test and static check: pytest (unit, property, end-to-end, contract) and the
# Terraform checks (terraform fmt, checkov). CI runs exactly this (.ci/run).
source "$(dirname "$0")/_env.sh"
check_java
ensure_venv "test"
cd "$ROOT"
status=0
"$VENV/bin/python" -m pytest "$@" || status=$?
if [ -x "$ROOT/scripts/check_terraform.sh" ] && [ $# -eq 0 ]; then
  bash "$ROOT/scripts/check_terraform.sh" || status=$?
fi
exit $status
