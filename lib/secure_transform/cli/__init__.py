"""``secure-transform``: one command line over the same library entry points as the Glue jobs.

Each command group lives in its own module exposing ``register(subparsers)``; a handler
returns the exit status. User mistakes print one line (``error: ...``) and exit non-zero;
unexpected failures print the exception *type* only (messages can quote row values).
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from typing import Sequence

from .. import __version__
from ..errors import SecureTransformError
from ..logs import redact
from .help import ExampleFormatter, epilog

# Command modules, in the order `--help` lists them.
COMMANDS = ("generate", "run", "tokenize", "reidentify", "keys", "detect", "mask", "anomaly", "features", "review", "risk", "feedback", "benchmark")


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


# The library and the Glue jobs name their parameters as the jobs do; these CLI flags say the same.
_JOB_TO_CLI = {
    "mask": {"--source_bucket": "--input", "--results_bucket": "--results", "--target_bucket": "--output",
             "--quarantine_bucket": "--quarantine", "--masking_policy": "--policy"},
    "detect": {"--source_bucket": "--input", "--results_bucket": "--output", "--input_format": "--format"},
    "reidentify": {"--source_bucket": "--input", "--target_bucket": "--output"},
}
_SNAKE_FLAG = re.compile(r"--[a-z0-9]+(?:_[a-z0-9]+)+\b")


def _flags(parser: argparse.ArgumentParser) -> set[str]:
    """Every option string of ``parser`` and of its sub-commands."""
    found = set()
    for action in parser._actions:
        found.update(o for o in action.option_strings if o.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found |= _flags(child)
    return found


def cli_spelling(message: str, parser: argparse.ArgumentParser, command: str | None) -> str:
    """Spell parameters in ``message`` as this command's flags (``--row_filter`` -> ``--row-filter``)."""
    aliases = dict(_JOB_TO_CLI.get(command or "", {}))
    sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
    if sub is not None and command in sub.choices:
        for flag in _flags(sub.choices[command]):
            aliases.setdefault(flag.replace("-", "_").replace("__", "--", 1), flag)
    return _SNAKE_FLAG.sub(lambda m: aliases.get(m.group(0), m.group(0)), message)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return _run(parser, args)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    import os

    from ..session import LOG_LEVEL_ENV

    previous = os.environ.get(LOG_LEVEL_ENV)
    # no Java stack traces from log4j on the console (one-line errors only) unless --debug
    os.environ[LOG_LEVEL_ENV] = previous or ("WARN" if getattr(args, "debug", False) else "OFF")
    try:
        return _dispatch(parser, args)
    finally:
        if previous is None:
            os.environ.pop(LOG_LEVEL_ENV, None)


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    try:
        return int(args.func(args) or 0)
    except SecureTransformError as exc:
        print(f"error: {cli_spelling(redact(str(exc)), parser, args.command)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns crashes into one line
        if getattr(args, "debug", False):
            import traceback

            print(redact(traceback.format_exc()), file=sys.stderr)
        from ..spark_errors import describe_spark_failure

        known = describe_spark_failure(exc)
        if known:
            print(f"error: {cli_spelling(redact(known), parser, args.command)}", file=sys.stderr)
            return 2
        java = "Py4JJavaError" in type(exc).__name__ or "Java" in type(exc).__name__
        hint = "Spark failed" if java else "unexpected failure"
        print(f"error: {hint} ({type(exc).__name__}); rerun with --debug for a redacted traceback", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
