#!/usr/bin/env bash
# Tear down one environment of secure-ml-transform (terraform destroy with its tfvars).
#
# Usage: scripts/destroy.sh ENV
#
# Same prerequisites and backend configuration as scripts/deploy.sh. Asks for the environment
# name as confirmation (AUTO_APPROVE=1 skips it); refuses prod unless ALLOW_PROD_DESTROY=1.
# What remains by design: buckets that still hold objects (unless force_destroy_buckets = true),
# objects under Object Lock retention (Macie results), KMS keys (scheduled for deletion after
# their waiting period, not deleted at once) and the tokenization secret (recoverable for its
# recovery window). If this stack enabled Macie (manage_macie_account = true), destroying it
# disables Macie in the account and region.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TF_DIR="$ROOT/terraform"
TERRAFORM="${TERRAFORM:-terraform}"

fail() {
    echo "destroy: $*" >&2
    exit 1
}

[ $# -eq 1 ] || { sed -n '2,14p' "$0"; exit 2; }
ENV_NAME="$1"
[[ "$ENV_NAME" =~ ^[a-z][a-z0-9-]*$ ]] || fail "invalid environment name '$ENV_NAME'"
VAR_FILE="$TF_DIR/envs/$ENV_NAME.tfvars"
[ -f "$VAR_FILE" ] || fail "no $VAR_FILE"
if [ "$ENV_NAME" = "prod" ] && [ "${ALLOW_PROD_DESTROY:-0}" != "1" ]; then
    fail "refusing to destroy prod; set ALLOW_PROD_DESTROY=1 if this is really intended"
fi
command -v "$TERRAFORM" >/dev/null 2>&1 || fail "terraform not found (set TERRAFORM=/path/to/terraform >= 1.10)"

tf() { "$TERRAFORM" -chdir="$TF_DIR" "$@"; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
BACKEND_FILE="$TF_DIR/backend.$ENV_NAME.hcl"
if [ ! -f "$BACKEND_FILE" ]; then
    : "${TF_STATE_BUCKET:?destroy: set TF_STATE_BUCKET (or create terraform/backend.$ENV_NAME.hcl)}"
    : "${TF_STATE_KMS_KEY_ARN:?destroy: set TF_STATE_KMS_KEY_ARN (or create terraform/backend.$ENV_NAME.hcl)}"
    : "${AWS_REGION:?destroy: set AWS_REGION (or create terraform/backend.$ENV_NAME.hcl)}"
    BACKEND_FILE="$work/backend.hcl"
    cat >"$BACKEND_FILE" <<EOF
bucket       = "$TF_STATE_BUCKET"
key          = "secure-ml-transform/$ENV_NAME/terraform.tfstate"
region       = "$AWS_REGION"
kms_key_id   = "$TF_STATE_KMS_KEY_ARN"
encrypt      = true
use_lockfile = true
EOF
fi

echo "== terraform init ($ENV_NAME)"
tf init -input=false -reconfigure -backend-config="$BACKEND_FILE"

# artifact_version only names S3 paths in job definitions; any valid value works for destroy.
version="0.0.0"
[ -f "$ROOT/dist/VERSION" ] && version="$(cat "$ROOT/dist/VERSION")"

if [ "${AUTO_APPROVE:-0}" != "1" ]; then
    read -r -p "Destroy every resource of '$ENV_NAME'? Type the environment name to confirm: " answer
    [ "$answer" = "$ENV_NAME" ] || fail "not confirmed; nothing destroyed"
fi
echo "== terraform destroy ($ENV_NAME)"
tf destroy -input=false -auto-approve -var-file="$VAR_FILE" -var "artifact_version=$version"
echo "destroyed $ENV_NAME (see the notes at the top of this script for what remains by design)"
