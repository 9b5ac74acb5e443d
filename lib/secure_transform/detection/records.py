"""CSV/TSV records as opposed to physical lines: quoted newlines, malformed lines, blank lines.

Masking rebuilds lines byte for byte, so detection and masking both work on
:func:`~.files.indexed_lines`. This module finds, per object, the lines that are not one
well-formed record each, with one bounded collect of their line numbers (never values):

* a record spanning lines (a quoted field holding a newline) starts at a line with an odd
  number of double quotes and ends at the next such line: the lines in between belong to it.
  This is the pairing Spark's ``multiLine`` CSV reader and Python's ``csv`` module make;
* an odd-quote line with no partner (an unbalanced quote) is one malformed record by itself
  (it does not swallow the rest of the file);
* a line with another number of fields than the first line is a malformed record;
* blank lines are not records (Spark's CSV reader skips them).

Records are counted as records, not lines: ``records = lines - header - blank - sum(span - 1)``.

A record spanning lines is a record like any other (RFC 4180: ``"`` quotes, ``""`` escapes, the
rules Spark's ``multiLine`` CSV reader uses with ``escape='"'``): :func:`joined_records` puts its
lines back together (one Spark job, only for objects that have such records) so that it is
scanned and masked as one record. Macie's ``cells`` occurrences address a CSV row, the way a
spreadsheet shows the file: one row per record (and per blank line), the header being row 1. In
an object without quoted newlines that is the physical line number (unchanged); in one with them
:class:`RowMap` converts between rows and the physical first line of a record.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from .files import csv_fields
from .validators import sql_functions as _F

__all__ = ["MAX_IRREGULAR_LINES", "LineIssues", "RowMap", "TooManyIrregularLines", "joined_records", "line_issues",
           "pair_quote_lines"]

#: Irregular line numbers collected per run (a bound on the driver collect); more quarantines the object.
MAX_IRREGULAR_LINES = 100_000


class TooManyIrregularLines(Exception):
    """More irregular lines than :data:`MAX_IRREGULAR_LINES`: handled as a whole-object problem."""


def pair_quote_lines(odd_lines: list[int]) -> tuple[list[tuple[int, int]], list[int]]:
    """Pair odd-quote line numbers into multi-line record spans; the last one without a partner
    is an unbalanced quote. ``[2, 4, 9]`` -> ``([(2, 4)], [9])``."""
    ordered = sorted(odd_lines)
    spans = [(ordered[i], ordered[i + 1]) for i in range(0, len(ordered) - 1, 2)]
    return spans, ordered[len(spans) * 2:]


@dataclass(frozen=True)
class LineIssues:
    """Line numbers (1-based, physical) of one object's irregular lines; no values."""

    lines: int = 0
    blank: tuple[int, ...] = ()
    spans: tuple[tuple[int, int], ...] = ()  # multi-line records (first, last line)
    unbalanced: tuple[int, ...] = ()  # odd-quote lines without a partner
    wrong_fields: tuple[int, ...] = ()  # field count differs from the first line's
    blank_lines: int = 0  # blank lines counted without their numbers (when nothing else is irregular)

    def records(self, has_header: bool) -> int:
        """Records, not lines: a multi-line record counts once, blank lines not at all."""
        header = 1 if has_header and self.lines else 0
        blank = len(self.blank) or self.blank_lines
        return self.lines - header - blank - sum(end - start for start, end in self.spans)

    @property
    def malformed(self) -> list[dict]:
        """One entry per line that is not a record (unbalanced quote, wrong field count): reason,
        line, line count. A record spanning lines is a record, not in this list."""
        out = [{"line": n, "lines": 1, "reason": "malformed_record"} for n in self.unbalanced + self.wrong_fields]
        return sorted(out, key=lambda r: r["line"])

    def in_records(self, line: int) -> bool:
        """Is ``line`` one of the malformed lines (taken out of the object as a quarantined row)?"""
        return line in self.unbalanced or line in self.wrong_fields

    @property
    def rows(self) -> "RowMap":
        return RowMap(self.spans)


class RowMap:
    """Macie rows <-> physical lines of one CSV/TSV object whose records may span lines.

    A row is a record (or a blank or malformed line) counted as one, the header being row 1: row
    = line minus the extra lines of the records spanning lines before it. Without such records
    both are the same number. Driver-side, from the span list (at most MAX_IRREGULAR_LINES).
    """

    def __init__(self, spans: Any = ()) -> None:
        self.spans = sorted((int(s), int(e)) for s, e in spans)
        self._starts = [s for s, _ in self.spans]
        self._extra_through: list[int] = []  # extra lines of the spans up to and including i
        total = 0
        for s, e in self.spans:
            total += e - s
            self._extra_through.append(total)
        self._rows = [s - (self._extra_through[i] - (e - s)) for i, (s, e) in enumerate(self.spans)]

    def __bool__(self) -> bool:
        return bool(self.spans)

    def row_of_line(self, line: int) -> int:
        """The row of physical line ``line`` (a line inside a record spanning lines: that record's row)."""
        i = bisect_right(self._starts, line) - 1
        if i < 0:
            return line
        start, end = self.spans[i]
        if line <= end:
            return self._rows[i]
        return line - self._extra_through[i]

    def line_of_row(self, row: int) -> int:
        """The physical line a row starts at."""
        i = bisect_right(self._rows, row) - 1
        if i < 0:
            return row
        if row == self._rows[i]:
            return self.spans[i][0]
        return row + self._extra_through[i]

    def rows_in(self, lines: int) -> int:
        """Rows of an object of ``lines`` physical lines."""
        return lines - (self._extra_through[-1] if self.spans else 0)


def joined_records(lines: Any, spans: dict[str, Any]) -> Any:
    """``lines`` (an :func:`~.files.indexed_lines` result) with the lines of each record spanning
    lines joined into one row (``value`` = the lines joined by ``\n``, so the record's text is
    byte for byte the original; ``_line`` = its first line). ``spans`` maps a file (``_file``) to
    its (first, last) line pairs. Files without spans are not touched (no extra job); the rows of
    the joined records are not in file order (callers that write sort by ``_line``).
    """
    spans = {f: list(s) for f, s in spans.items() if s}
    if not spans:
        return lines
    F = _F()
    span_lines = _span_lines(lines.sparkSession, [(f, int(s), int(e)) for f, pairs in spans.items() for s, e in pairs])
    inside = F.col("_file").isin(list(spans))
    marked = lines.where(inside).join(span_lines, ["_file", "_line"], "left")
    single = marked.where(F.col("_start").isNull()).select(*lines.columns)
    text = _joined_text()
    extra = [F.min(c).alias(c) for c in lines.columns if c not in ("value", "_file", "_line")]
    joined = marked.where(F.col("_start").isNotNull()).groupBy("_file", F.col("_start").alias("_line")).agg(
        text.alias("value"), *extra).select(*lines.columns)
    return lines.where(~inside).unionByName(single).unionByName(joined)


def _joined_text() -> Any:
    """Aggregate: the ``value`` of a group's lines in line order, joined by ``\\n`` (the original text)."""
    F = _F()
    return F.concat_ws("\n", F.transform(F.array_sort(F.collect_list(F.struct("_line", "value"))), lambda x: x["value"]))


MAX_PAIRING_ROUNDS = 8  # each round is one Spark job over the object's lines


def _span_lines(spark: Any, rows: list[tuple]) -> Any:
    """(``_file``,) ``_line``, ``_start`` for every line of the given (file,) first, last spans: a
    join table, so the plan stays one join however many spans there are (a chain of ``when``
    per span overflowed the JVM stack at 1,000 spans)."""
    F = _F()
    keys = ["_file"] if rows and len(rows[0]) == 3 else []
    schema = ", ".join([f"{k} string" for k in keys] + ["_s long", "_e long"])
    return spark.createDataFrame(rows, schema).select(
        *keys, F.explode(F.sequence("_s", "_e")).alias("_line"), F.col("_s").alias("_start"))


def _span_field_counts(lines: Any, spans: list[tuple[int, int]], sep: str) -> dict[int, int]:
    """Fields of each candidate span's joined text, parsed with the same quoting rules (one job;
    ``lines`` of one file)."""
    F = _F()
    inside = lines.join(_span_lines(lines.sparkSession, [(int(s), int(e)) for s, e in spans]), "_line")
    return {int(r["s"]): int(r["n"]) for r in inside.groupBy(F.col("_start").alias("s")).agg(
        F.size(csv_fields(_joined_text(), sep)).alias("n")).collect()}  # one row per candidate span: counts only


def _checked_spans(lines: Any, odd: list[int], sep: str, expected: int) -> tuple[list, list]:
    """Pair odd-quote lines, keeping a pair only when its joined text has the expected fields.

    An unbalanced quote followed by a real multi-line record would otherwise pair with the
    record's first line and take every line in between: the first pair that does not parse to
    ``expected`` fields marks its first line as unbalanced, and pairing restarts after it.
    """
    spans: list[tuple[int, int]] = []
    unbalanced: list[int] = []
    pending = sorted(odd)
    for _ in range(MAX_PAIRING_ROUNDS):
        candidates, rest = pair_quote_lines(pending)
        counts = _span_field_counts(lines, candidates, sep) if candidates else {}
        wrong = next((c for c in candidates if counts.get(c[0]) != expected), None)
        if wrong is None:
            return spans + candidates, unbalanced + rest
        spans += [c for c in candidates if c[0] < wrong[0]]
        unbalanced.append(wrong[0])
        pending = [n for n in pending if n > wrong[0]]
    candidates, rest = pair_quote_lines(pending)  # rounds spent: the rest pairs as Spark would
    return spans + candidates, unbalanced + rest


def line_issues(lines: Any, blocks: list[dict], sep: str,
                expected_fields: dict[str, int] | None = None) -> dict[str, LineIssues]:
    """Irregular lines per file of an :func:`~.files.indexed_lines` result (one bounded collect).

    ``expected_fields`` maps a file (``_file`` value) to its field count; without it only quote
    parity and blank lines are checked (enough to count records).
    """
    F = _F()
    counts: dict[str, int] = {}
    for b in blocks:
        counts[b["file"]] = counts.get(b["file"], 0) + int(b["lines"])
    blanks: dict[str, int] = {}
    for b in blocks:
        blanks[b["file"]] = blanks.get(b["file"], 0) + int(b.get("blank_lines", 0))
    if not any(b.get("odd_quote_lines") or b.get("suspect_lines") for b in blocks) and (
            not expected_fields or all("suspect_lines" in b for b in blocks)):
        # nothing irregular: no extra pass (blank lines are only counted)
        return {f: LineIssues(lines=n, blank_lines=blanks.get(f, 0)) for f, n in counts.items()}
    odd = ((F.size(F.split("value", '"')) - 1) % 2) == 1
    blank = F.col("value").rlike("^\r?$")
    checks = [odd, blank]
    nfields = F.size(csv_fields(F.col("value"), sep))
    if expected_fields:
        expected = F.element_at(F.create_map(*[x for f, n in expected_fields.items() for x in (F.lit(f), F.lit(n))]),
                                F.col("_file"))
        cheap = F.size(F.split("value", re.escape(sep), -1)) != expected  # quote-aware count only for these
        wrong = F.coalesce(expected.isNotNull() & (F.col("_line") > 1) & ~blank & cheap & (nfields != expected),
                           F.lit(False))
    else:
        wrong = F.lit(False)
    rows = (lines.where(odd | blank | wrong)
            .select("_file", "_line", odd.alias("odd"), blank.alias("blank"), wrong.alias("wrong"))
            .limit(MAX_IRREGULAR_LINES + 1).collect())  # bounded: line numbers and flags only
    if len(rows) > MAX_IRREGULAR_LINES:
        raise TooManyIrregularLines(f"more than {MAX_IRREGULAR_LINES:,} irregular lines")
    by_file: dict[str, dict[str, list[int]]] = {}
    for r in rows:
        d = by_file.setdefault(r["_file"], {"odd": [], "blank": [], "wrong": []})
        for kind in ("odd", "blank", "wrong"):
            if r[kind]:
                d[kind].append(int(r["_line"]))
    out = {f: LineIssues(lines=n) for f, n in counts.items()}
    for file, d in by_file.items():
        if expected_fields and file in expected_fields and d["odd"]:
            spans, unbalanced = _checked_spans(lines.where(F.col("_file") == file), d["odd"], sep,
                                               expected_fields[file])
        else:
            spans, unbalanced = pair_quote_lines(d["odd"])
        inside = lambda n: any(s <= n <= e for s, e in spans)  # noqa: E731
        out[file] = LineIssues(lines=counts.get(file, 0), blank=tuple(n for n in sorted(d["blank"]) if not inside(n)), spans=tuple(spans),
                               unbalanced=tuple(unbalanced),
                               wrong_fields=tuple(n for n in sorted(d["wrong"]) if not inside(n) and n not in unbalanced))
    return out
