"""Shared pieces of the command-line help: the worked example at the end of each command's help
and the sentence about Spark's start-up cost.

Every example is a list of commands that runs as written, in order, in an empty directory
(``tests/test_help_examples.py`` runs them all). Each line is printed as ``  $ <command>``.
"""

from __future__ import annotations

import argparse
from typing import Any, Sequence

__all__ = ["SPARK_START", "EXAMPLE_PROMPT", "QUARANTINE_DEMO", "ExampleFormatter", "epilog", "add_command"]

SPARK_START = ("Starts a local Spark session first: about 5-30 s before the first row is read (more on a busy "
               "machine); the work itself is then quick for small files.")
EXAMPLE_PROMPT = "  $ "
# A quarantined object to review, from synthetic test data: a file that changed after detection
# (reason etag_mismatch), beside one that masks normally (mask exits non-zero when every input is
# quarantined).
# Shared by the review and feedback examples.
QUARANTINE_DEMO = (
    # masked as usual, so the run is not all-quarantined
    "mkdir -p raw && printf 'name,email\\nAda Example,ada@example.com\\n' > raw/people.csv",
    "printf 'name,email\\nTest User,test@example.com\\n' > raw/test-users.csv",
    "secure-transform detect --input raw --output results",
    "printf 'Other Tester,other@example.com\\n' >> raw/test-users.csv",
    "secure-transform mask --input raw --results results --output masked --quarantine quarantine",
)


class ExampleFormatter(argparse.HelpFormatter):
    """Descriptions wrapped to the terminal as usual; the examples block kept line for line."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith(_EXAMPLES_HEADING):
            return "\n".join(indent + line for line in text.splitlines())
        return super()._fill_text(text, width, indent)


_EXAMPLES_HEADING = "Examples (run as written, in order, in an empty directory):"


def epilog(*examples: tuple[str, Sequence[str]]) -> str:
    """``Examples (run as written, in order, in an empty directory):`` then each titled block."""
    lines = [_EXAMPLES_HEADING]
    for title, commands in examples:
        lines.append(f"  {title}")
        lines += [f"{EXAMPLE_PROMPT}{c}" for c in commands]
    return "\n".join(lines)


def add_command(subparsers: Any, name: str, *, help: str, description: str, example: str) -> argparse.ArgumentParser:
    """A (sub)command whose help keeps the example's line breaks (``example``: from :func:`epilog`)."""
    return subparsers.add_parser(name, help=help, description=description, epilog=example,
                                 formatter_class=ExampleFormatter)
