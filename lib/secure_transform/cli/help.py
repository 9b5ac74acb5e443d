"""Shared pieces of the command-line help: the worked example at the end of each command's help
and the sentence about Spark's start-up cost.

Every example is a list of commands that runs as written, in order, in an empty directory
(``tests/test_help_examples.py`` runs them all). Each line is printed as ``  $ <command>``.
"""

from __future__ import annotations

from typing import Sequence

__all__ = ["SPARK_START", "EXAMPLE_PROMPT", "epilog"]

SPARK_START = ("Starts a local Spark session first: about 5-30 s before the first row is read (more on a busy "
               "machine); the work itself is then quick for small files.")
EXAMPLE_PROMPT = "  $ "


def epilog(*examples: tuple[str, Sequence[str]]) -> str:
    """``Examples (run as written, in order, in an empty directory):`` then each titled block."""
    lines = ["Examples (run as written, in order, in an empty directory):"]
    for title, commands in examples:
        lines.append(f"  {title}")
        lines += [f"{EXAMPLE_PROMPT}{c}" for c in commands]
    return "\n".join(lines)
