"""``secure-transform``: one command line over the same library entry points as the Glue jobs.

Each command group lives in its own module exposing ``register(subparsers)``; a handler
returns the exit status. User mistakes print one line (``error: ...``) and exit non-zero;
unexpected failures print the exception *type* only (messages can quote row values).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from .. import __version__
from ..errors import SecureTransformError
from ..logs import redact
from .help import ExampleFormatter, epilog

# Command modules, in the order `--help` lists them.
COMMANDS = ("generate", "run", "tokenize", "reidentify", "keys", "detect", "mask", "anomaly", "features", "review", "benchmark")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="secure-transform",
        description="Turn raw financial data full of personal information into PII-free, ML-ready data, "
                    "locally or on AWS Glue 5.0. Commands that read data start a local Spark session first "
                    "(about 5-30 s before the first row; more on a busy machine); keys, mcc, bins show and "
                    "review do not. Each command's --help ends with an example that runs as written.",
        epilog=epilog(("The whole pipeline on 1,000 generated rows, then on your own file (here: the generated one):", [
            "secure-transform run --rows 1000 --output demo_run",
            "secure-transform run --input demo_run/sample/transactions --output my_run"])),
        formatter_class=ExampleFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks (redacted) on failure")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith(f"{__name__}."):
                continue  # command group not installed in this build
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except SecureTransformError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns crashes into one line
        if getattr(args, "debug", False):
            import traceback

            print(redact(traceback.format_exc()), file=sys.stderr)
        java = "Py4JJavaError" in type(exc).__name__ or "Java" in type(exc).__name__
        hint = "Spark failed" if java else "unexpected failure"
        print(f"error: {hint} ({type(exc).__name__}); rerun with --debug for a redacted traceback", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
