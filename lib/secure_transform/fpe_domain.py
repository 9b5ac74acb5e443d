"""Which values a ``format_preserving`` column can really format-preserve, counted with Spark built-ins.

FF3-1 takes a value only when it is made of the column's alphabet and separators, holds enough
alphabet characters for the radix's minimum domain (plus the clear prefix/suffix and the Luhn
check digit) and not too many. Any other value gets a reversible ``§<version>§...`` fallback
token (:mod:`secure_transform.ff3`). A column whose values do not fit (e-mail addresses, IBANs
under the ``digits`` alphabet) would silently become a column of fallback tokens, so:

* :func:`unfit_value` is the codec's eligibility rule as one Spark expression (tested equal to
  the codec), so a job can count the values that would fall back in the aggregate it already runs;
* :func:`check_fallbacks` refuses a column with any such value unless its configuration says
  ``"on_unsupported": "tokenize"`` (then the count is reported per column, never the values).
"""

from __future__ import annotations

from typing import Any, Mapping

from .errors import SchemaError

__all__ = ["FALLBACK_COUNT_PREFIX", "check_fallbacks", "fallback_aggregates", "unfit_value"]

FALLBACK_COUNT_PREFIX = "__fpe_unfit_"


def _char_class(chars: str) -> str:
    # every non-alphanumeric character escaped: a backslash before one is literal in Java regex
    return "".join(c if c.isalnum() else "\\" + c for c in chars)


def unfit_value(col: Any, spec: Any) -> Any:
    """True for a non-empty value the FF3-1 codec of ``spec`` would give a fallback token; null stays false."""
    from pyspark.sql import functions as F

    from .ff3 import ALPHABETS, FF3_1, SEPARATORS, _MAX_BYTES

    alphabet = ALPHABETS[spec.alphabet]
    probe = FF3_1(bytes(16), alphabet)  # only for the domain bounds; never encrypts
    text = col.cast("string")
    numerals = F.length(F.regexp_replace(text, f"[^{_char_class(alphabet)}]", ""))
    core_need = spec.preserve_prefix + spec.preserve_suffix + (1 if spec.luhn and spec.preserve_suffix == 0 else 0)
    fits = (text.rlike(f"^[{_char_class(alphabet + SEPARATORS[spec.alphabet])}]*$")
            & (F.octet_length(text) <= _MAX_BYTES)
            & (numerals - core_need >= probe.min_len)
            & (numerals - spec.preserve_prefix - spec.preserve_suffix <= probe.max_len))
    return F.coalesce(text.isNotNull() & (text != "") & ~fits, F.lit(False))


def fallback_aggregates(df: Any, config: Any) -> list:
    """One ``sum`` per ``format_preserving`` column of ``df``: values that would fall back.

    Added to an aggregation the job runs anyway (no extra pass); read back with
    :func:`check_fallbacks`.
    """
    from pyspark.sql import functions as F

    aggs = []
    for i, spec in enumerate(c for c in config.columns if c.method == "format_preserving"):
        if spec.name in df.columns:
            unfit = unfit_value(F.col("`" + spec.name.replace("`", "``") + "`"), spec)
            aggs.append(F.sum(F.when(unfit, 1).otherwise(0)).alias(f"{FALLBACK_COUNT_PREFIX}{i}"))
    return aggs


def counts_from_row(row: Any, config: Any) -> dict[str, int]:
    """{column: values that would fall back} from an aggregate row holding :func:`fallback_aggregates`."""
    names = [c.name for c in config.columns if c.method == "format_preserving"]
    present = row.asDict() if hasattr(row, "asDict") else dict(row)
    return {name: int(present.get(f"{FALLBACK_COUNT_PREFIX}{i}") or 0)
            for i, name in enumerate(names) if f"{FALLBACK_COUNT_PREFIX}{i}" in present}


def check_fallbacks(counts: Mapping[str, int], config: Any, source: str, rows: int | None = None) -> dict[str, int]:
    """Refuse a ``format_preserving`` column with values it cannot format-preserve, unless the column
    says ``"on_unsupported": "tokenize"``; return the fallback counts per column (all columns, zeros too)."""
    for spec in config.columns:
        n = int(counts.get(spec.name, 0))
        if spec.method != "format_preserving" or not n or spec.on_unsupported == "tokenize":
            continue
        of = f" of {rows:,}" if rows is not None else ""
        raise SchemaError(source, spec.name,
                          f"{n:,}{of} value(s) do not fit format_preserving with the {spec.alphabet} alphabet "
                          f"(other characters, or too few/many {spec.alphabet} characters for FF3-1 after "
                          "preserve_prefix/preserve_suffix); they would become '§' fallback tokens that keep no "
                          "format. Choose another method for this column, or set \"on_unsupported\": \"tokenize\" "
                          "in --pii_columns to accept (and count) the fallback tokens; nothing was written")
    return {spec.name: int(counts.get(spec.name, 0)) for spec in config.columns if spec.method == "format_preserving"}
