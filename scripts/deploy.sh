#!/usr/bin/env bash
# Deploy secure-ml-transform to one environment:
#   1. build the release (scripts/build.sh -> dist/);
#   2. terraform init with the environment's S3 backend;
#   3. upload the release to s3://<artifacts>/releases/<version>/ with SSE-KMS headers (the
#      artifacts bucket denies uploads without them) - before apply when the bucket exists, so
#      the jobs never point at a release that is not there yet; after apply on a first deploy;
#   4. terraform plan + apply with terraform/envs/<env>.tfvars and -var artifact_version=<version>.
#
# Usage: scripts/deploy.sh ENV          (ENV = a file terraform/envs/ENV.tfvars, e.g. dev, prod)
#
# Needs: Terraform >= 1.10 on PATH (or TERRAFORM=/path), the AWS CLI v2, credentials of a role
# listed in deployer_role_names, Python 3.11 with access to PyPI (for the build).
# Backend: terraform/backend.ENV.hcl (copy terraform/backend.hcl.example; git-ignored), or the
# environment variables TF_STATE_BUCKET, TF_STATE_KMS_KEY_ARN and AWS_REGION.
# AUTO_APPROVE=1 applies without the interactive confirmation (CI with a reviewed plan only).
# First deployment order (state bootstrap, Macie, secret population): docs/TERRAFORM.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TF_DIR="$ROOT/terraform"
TERRAFORM="${TERRAFORM:-terraform}"

fail() {
    echo "deploy: $*" >&2
    exit 1
}

[ $# -eq 1 ] || { sed -n '2,20p' "$0"; exit 2; }
ENV_NAME="$1"
[[ "$ENV_NAME" =~ ^[a-z][a-z0-9-]*$ ]] || fail "invalid environment name '$ENV_NAME'"
VAR_FILE="$TF_DIR/envs/$ENV_NAME.tfvars"
[ -f "$VAR_FILE" ] || fail "no $VAR_FILE"

command -v "$TERRAFORM" >/dev/null 2>&1 || fail "terraform not found (set TERRAFORM=/path/to/terraform >= 1.10)"
command -v aws >/dev/null 2>&1 || fail "the AWS CLI (v2) is required"
tf_version="$("$TERRAFORM" version -json | python3 -c 'import json,sys; print(json.load(sys.stdin)["terraform_version"])')"
python3 - "$tf_version" <<'PY' || fail "Terraform $tf_version is too old: >= 1.10 is required (S3 native state locking)"
import sys
major, minor = (int(x) for x in sys.argv[1].split(".")[:2])
sys.exit(0 if (major, minor) >= (1, 10) else 1)
PY

tf() { "$TERRAFORM" -chdir="$TF_DIR" "$@"; }

# --- backend ------------------------------------------------------------------------------------
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
BACKEND_FILE="$TF_DIR/backend.$ENV_NAME.hcl"
if [ ! -f "$BACKEND_FILE" ]; then
    : "${TF_STATE_BUCKET:?deploy: set TF_STATE_BUCKET (or create terraform/backend.$ENV_NAME.hcl)}"
    : "${TF_STATE_KMS_KEY_ARN:?deploy: set TF_STATE_KMS_KEY_ARN (or create terraform/backend.$ENV_NAME.hcl)}"
    : "${AWS_REGION:?deploy: set AWS_REGION (or create terraform/backend.$ENV_NAME.hcl)}"
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

# --- build --------------------------------------------------------------------------------------
echo "== build"
"$ROOT/scripts/build.sh"
VERSION="$(cat "$ROOT/dist/VERSION")"
(cd "$ROOT/dist" && sha256sum --check --quiet SHA256SUMS) || fail "dist/ does not match its SHA256SUMS"

echo "== terraform init ($ENV_NAME)"
tf init -input=false -reconfigure -backend-config="$BACKEND_FILE"

# --- upload ---------------------------------------------------------------------------------------
upload_release() {
    local bucket key_arn prefix existing
    bucket="$(tf output -raw artifacts_bucket_name)"
    key_arn="$(tf output -raw artifacts_kms_key_arn)"
    prefix="s3://$bucket/releases/$VERSION"
    # A release is immutable: running jobs may be reading it. Same content is a no-op; different
    # content under the same version is refused (bump the version in pyproject.toml).
    existing="$work/existing-SHA256SUMS"
    if aws s3 cp --only-show-errors "$prefix/SHA256SUMS" "$existing" >/dev/null 2>&1; then
        if cmp -s "$existing" "$ROOT/dist/SHA256SUMS"; then
            echo "release $VERSION already uploaded with identical content"
            return 0
        fi
        fail "release $VERSION already exists in $prefix with different content; bump the version"
    fi
    echo "== upload release $VERSION to $prefix (SSE-KMS)"
    aws s3 cp --recursive --only-show-errors \
        --sse aws:kms --sse-kms-key-id "$key_arn" \
        --exclude SHA256SUMS "$ROOT/dist" "$prefix"
    # The checksum file goes last: its presence marks a complete upload.
    aws s3 cp --only-show-errors --sse aws:kms --sse-kms-key-id "$key_arn" \
        "$ROOT/dist/SHA256SUMS" "$prefix/SHA256SUMS"
}

uploaded=0
if tf output -raw artifacts_bucket_name >/dev/null 2>&1; then
    upload_release
    uploaded=1
fi

# --- plan and apply -------------------------------------------------------------------------------
echo "== terraform plan ($ENV_NAME, release $VERSION)"
tf plan -input=false -var-file="$VAR_FILE" -var "artifact_version=$VERSION" -out="$work/plan.tfplan"
if [ "${AUTO_APPROVE:-0}" != "1" ]; then
    read -r -p "Apply this plan to '$ENV_NAME'? Type the environment name to confirm: " answer
    [ "$answer" = "$ENV_NAME" ] || fail "not confirmed; nothing applied"
fi
echo "== terraform apply"
tf apply -input=false "$work/plan.tfplan"

if [ "$uploaded" -eq 0 ]; then
    upload_release
fi

echo "deployed release $VERSION to $ENV_NAME"
echo "jobs:      $(tf output -json glue_job_names)"
echo "workflows: $(tf output -json glue_workflow_names)"
