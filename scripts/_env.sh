# Sourced by scripts/run_local.sh and scripts/test.sh: finds Python 3.11 and Java 17 and
# creates/updates the project's virtual environment (.venv) when pyproject.toml changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SECURE_TRANSFORM_VENV:-$ROOT/.venv}"

die() { echo "error: $*" >&2; exit 1; }

find_python() {
  for candidate in python3.11 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 && \
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

check_java() {
  command -v java >/dev/null 2>&1 || die "Java is not installed: Spark 3.5.4 needs Java 17 (e.g. apt-get install openjdk-17-jre-headless)"
  local version
  version=$(java -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')
  case "$version" in
    17*|17) ;;
    *) echo "warning: Java $version found; AWS Glue 5.0 runs Java 17, use it for parity" >&2 ;;
  esac
}

ensure_venv() {  # $1: extras, e.g. "test" or ""
  local extras="${1:-}" python stamp want
  python=$(find_python) || die "Python 3.11 is required (AWS Glue 5.0 runs Python 3.11)"
  [ -x "$VENV/bin/python" ] || { echo "creating virtual environment $VENV" >&2; "$python" -m venv "$VENV"; }
  stamp="$VENV/.installed"
  local hash needs=1
  hash="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
  want="$hash-${extras:-none}"
  # an install with the test extra also serves a run without it
  if [ -f "$stamp" ] && { grep -qx -- "$want" "$stamp" || grep -qx -- "$hash-test" "$stamp"; }; then needs=0; fi
  if [ "$needs" = 1 ]; then
    echo "installing the project into $VENV ${extras:+(with [$extras])}" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip>=23.2" >&2
    local spec="$ROOT"
    [ -n "$extras" ] && spec="$ROOT[$extras]"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec" >&2
    echo "$want" > "$stamp"
  fi
  export PYSPARK_PYTHON="$VENV/bin/python" PYSPARK_DRIVER_PYTHON="$VENV/bin/python"
}
