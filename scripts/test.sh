#!/usr/bin/env bash
# Run every test and static check: pytest (unit, property, end-to-end, contract) and the
# Terraform checks (terraform fmt, checkov). CI runs exactly this (.ci/run).
# Environments: the project's .venv (or $SECURE_TRANSFORM_VENV) and, for checkov only, a second one
# in .venv-checkov (its dependencies conflict with the Glue pins); both are created on first use.
source "$(dirname "$0")/_env.sh"
check_java
ensure_venv "test"
cd "$ROOT"
status=0
"$VENV/bin/python" -m pytest "$@" || status=$?
if [ -x "$ROOT/scripts/check_terraform.sh" ] && [ $# -eq 0 ]; then
  echo "== Terraform checks (terraform fmt, checkov in .venv-checkov)" >&2
  bash "$ROOT/scripts/check_terraform.sh" || status=$?
fi
exit $status
