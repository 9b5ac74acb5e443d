#!/usr/bin/env python3
"""Benchmark harness (issue #10): ``.venv/bin/python scripts/benchmark.py [--rows N] [--json FILE]``.

The same code as ``secure-transform benchmark``; see ``docs/PERFORMANCE.md`` for the figures.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    from secure_transform.cli import benchmark as command
    from secure_transform.errors import SecureTransformError

    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="scripts/benchmark.py", description=__doc__.splitlines()[0])
    command.add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        rc = command.handle(args, argv=argv, prog=".venv/bin/python scripts/benchmark.py")
    except SecureTransformError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return rc


if __name__ == "__main__":
    sys.exit(main())
