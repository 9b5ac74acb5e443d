#!/usr/bin/env bash
# Build the release that scripts/deploy.sh uploads to s3://<artifacts>/releases/<version>/:
#
#   dist/wheels/secure_ml_transform-<version>-py3-none-any.whl          the library
#   dist/wheels/secure_ml_transform-deps-<version>.gluewheels.zip      its dependencies that the
#        Glue 5.0 image lacks (scikit-learn, scipy, joblib, threadpoolctl, cryptography, ...),
#        as CPython 3.11 manylinux x86_64 wheels, resolved with the Glue 5.0 base pins
#        (scripts/glue-5.0-constraints.txt) as constraints and without the packages the image
#        already has, so numpy/pandas/pyarrow/boto3 on Glue are never upgraded. Layout:
#        wheels/requirements.txt (exact pins) + wheels/*.whl.
#   dist/glue_jobs/<job>.py                                            the job scripts
#   dist/config/mcc_mapping.json                                       the shipped merchant mapping
#   dist/VERSION, dist/SHA256SUMS
#
# The jobs install the first two with --additional-python-modules and
# --python-modules-installer-option "--no-index --no-deps" (terraform/modules/glue): no index is
# reachable from the VPC, and the zip already holds the full resolved closure.
#
# The zip is then verified: in a throw-away Python 3.11 environment holding only the image's
# versions of the packages it left out, the library wheel and the zip's wheels install with
# `--no-index --no-deps` (as on Glue) and `pip check` finds every dependency of the shipped
# packages satisfied.
#
# Usage: scripts/build.sh [--dist DIR] [--no-verify]   (needs Python 3.11 with pip and PyPI access)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIST="$ROOT/dist"
VERIFY=1
while [ $# -gt 0 ]; do
    case "$1" in
        --dist) DIST="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
        --no-verify) VERIFY=0; shift ;;
        -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
        *) echo "build: unknown argument $1" >&2; exit 2 ;;
    esac
done

fail() {
    echo "build: $*" >&2
    exit 1
}

PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
    if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
    || fail "$PYTHON is not Python 3.11 (the Glue 5.0 runtime); set PYTHON=/path/to/python3.11"

CONSTRAINTS="$ROOT/scripts/glue-5.0-constraints.txt"
MAPPING="$ROOT/lib/secure_transform/data/mcc_mapping.json"
[ -f "$MAPPING" ] || fail "$MAPPING is missing (the merchant mapping main_etl reads)"
compgen -G "$ROOT/glue_jobs/*.py" >/dev/null || fail "no job scripts in glue_jobs/"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

rm -rf "$DIST"
mkdir -p "$DIST/wheels" "$DIST/glue_jobs" "$DIST/config"

echo "== library wheel"
"$PYTHON" -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir "$work/lib" "$ROOT" \
    || fail "building the library wheel failed"
lib_wheel="$(find "$work/lib" -maxdepth 1 -name 'secure_ml_transform-*-py3-none-any.whl' | head -n 1)"
[ -n "$lib_wheel" ] || fail "no pure-Python secure_ml_transform wheel was built"
version="$(basename "$lib_wheel" | sed -E 's/^secure_ml_transform-([^-]+)-py3-none-any\.whl$/\1/')"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+[a-z0-9.]*$ ]] || fail "unexpected library version '$version'"
cp "$lib_wheel" "$DIST/wheels/"
echo "library $version"

echo "== dependency wheels for Glue 5.0 (CPython 3.11, manylinux x86_64)"
# The library's runtime dependencies (pyproject.toml) minus pyspark (Glue is Spark) and minus
# everything the Glue 5.0 image provides (the constraints file).
"$PYTHON" - "$ROOT/pyproject.toml" "$CONSTRAINTS" >"$work/requirements.in" <<'PY'
import re
import sys
import tomllib

def name_of(spec: str) -> str:
    return re.split(r"[<>=!~;\[ ]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")

with open(sys.argv[1], "rb") as handle:
    deps = tomllib.load(handle)["project"]["dependencies"]
image = set()
with open(sys.argv[2]) as handle:
    for line in handle:
        line = line.split("#", 1)[0].strip()
        if line:
            image.add(name_of(line))
for dep in deps:
    name = name_of(dep)
    if name == "pyspark" or name in image:
        continue
    print(dep.split(";", 1)[0].strip())
PY
[ -s "$work/requirements.in" ] || fail "no dependencies to ship (unexpected)"
sed 's/^/  /' "$work/requirements.in"

# Glue 5.0 runs Amazon Linux 2023 (glibc 2.34) on x86_64: manylinux wheels up to 2.34 run there.
# abi3 covers stable-ABI wheels (cryptography), none the pure-Python ones.
"$PYTHON" -m pip download --quiet --disable-pip-version-check \
    --only-binary=:all: \
    --platform manylinux_2_34_x86_64 --platform manylinux_2_28_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --python-version 3.11 --implementation cp --abi cp311 --abi abi3 --abi none \
    --constraint "$CONSTRAINTS" \
    --requirement "$work/requirements.in" \
    --dest "$work/resolved" \
    || fail "resolving the dependency wheels failed (no compatible wheel, or a conflict with the Glue 5.0 pins)"

mkdir -p "$work/zip/wheels"
: >"$work/zip/wheels/requirements.txt"
"$PYTHON" - "$CONSTRAINTS" "$work/resolved" "$work/zip/wheels" "$work/image-stand-ins.txt" <<'PY'
import os
import re
import shutil
import sys

def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()

image = set()
with open(sys.argv[1]) as handle:
    for line in handle:
        line = line.split("#", 1)[0].strip()
        if line:
            image.add(norm(re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0]))
resolved, target, stand_ins = sys.argv[2], sys.argv[3], sys.argv[4]
pins = []
for wheel in sorted(os.listdir(resolved)):
    if not wheel.endswith(".whl"):
        sys.exit(f"build: {wheel} is not a wheel")
    name, version = wheel.split("-")[:2]
    if norm(name) in image:
        print(f"  skip {name} {version} (on the Glue 5.0 image)")
        with open(stand_ins, "a") as out:  # installed only to verify the zip
            out.write(f"{norm(name)}=={version}\n")
        continue
    shutil.copy(os.path.join(resolved, wheel), target)
    pins.append(f"{norm(name)}=={version}")
    print(f"  ship {wheel}")
with open(os.path.join(target, "requirements.txt"), "w") as handle:
    handle.write("\n".join(pins) + "\n")
PY
zip_name="secure_ml_transform-deps-$version.gluewheels.zip"
(cd "$work/zip" && "$PYTHON" -m zipfile -c "$DIST/wheels/$zip_name" wheels) || fail "writing $zip_name failed"

if [ "$VERIFY" -eq 1 ]; then
    echo "== verify: offline install as on Glue"
    "$PYTHON" -m venv "$work/verify"
    if [ -s "$work/image-stand-ins.txt" ]; then
        # The image's own versions of what the zip leaves out (numpy 1.26.4, ...).
        "$work/verify/bin/python" -m pip install --quiet --disable-pip-version-check \
            -r "$work/image-stand-ins.txt" || fail "cannot install the Glue image stand-ins for verification"
    fi
    "$work/verify/bin/python" -m pip install --quiet --disable-pip-version-check --no-index --no-deps \
        -r "$work/zip/wheels/requirements.txt" --find-links "$work/zip/wheels" "$DIST/wheels/$(basename "$lib_wheel")" \
        || fail "the zip of wheels does not install offline"
    # The library itself declares pyspark and the image packages, which Glue provides: only the
    # shipped dependencies must be complete.
    problems="$("$work/verify/bin/python" -m pip check 2>&1 | grep -iv '^secure-ml-transform ' | grep -iv '^no broken requirements' || true)"
    [ -z "$problems" ] || fail "the zip of wheels is incomplete: $problems"
    echo "zip of wheels installs offline and is complete"
fi

echo "== job scripts and configuration"
cp "$ROOT"/glue_jobs/*.py "$DIST/glue_jobs/"
cp "$MAPPING" "$DIST/config/mcc_mapping.json"
echo "$version" >"$DIST/VERSION"
(cd "$DIST" && find . -type f | sort | sed 's|^\./||' | xargs sha256sum >"$work/SHA256SUMS")
mv "$work/SHA256SUMS" "$DIST/SHA256SUMS"

echo "== dist/"
(cd "$DIST" && find . -type f | sort | sed 's|^\./|  |')
echo "built release $version in $DIST"
