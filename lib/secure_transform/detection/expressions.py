"""Spark expressions built from the recogniser registry: ``find_pii`` (all valid matches in a
string), ``redact_pii_spans`` (the free-text scrubber), ``type_spans`` (the values of one type,
for masking) and ``explode_matches`` (one row per match of a cells DataFrame).

Every expression is made of Spark built-ins (no Python UDF). Cheap guards -- shared cell features
computed once per cell, then each recogniser's own -- skip the regexes on most cells.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from .registry import CARD_TYPES, COLUMN_BITS, NOT_PERSON_BIT, RECOGNIZERS, DetectConfig, Recognizer, \
    context_flags, recognizer_for_type
from .registry import KEYWORD_DISTANCE
from .validators import let
from .validators import sql_functions as _F

__all__ = ["MATCH_TYPE", "PLACEHOLDERS", "cell_shape", "digit_count", "explode_matches", "find_pii", "redact_pii_spans",
           "type_spans"]


MATCH_TYPE = "array<struct<type:string,label:string,text:string>>"


def _flag(flags: Any, bit: int) -> Any:
    F = _F()
    if isinstance(flags, int):
        return F.lit(bool(flags & bit))
    return F.coalesce((flags.bitwiseAND(F.lit(bit).cast("long")) != 0), F.lit(False))


def _capturing_groups(pattern: str) -> int:
    return len(re.findall(r"(?<!\\)\((?!\?)", pattern))


def _shift_backreferences(pattern: str, by: int) -> str:
    return re.sub(r"\\(\d)", lambda m: "\\" + str(int(m.group(1)) + by), pattern)


def _near_pattern(rec: Recognizer) -> str:
    """Candidates with a keyword within 30 characters before or after (the second copy of the
    candidate regex has its backreferences renumbered)."""
    kw = rec.text_keyword_regex
    d = KEYWORD_DISTANCE
    second = _shift_backreferences(rec.pattern, _capturing_groups(rec.pattern))
    return rf"(?:(?<={kw}[\s\S]{{0,{d}}})(?:{rec.pattern})|(?:{second})(?=[\s\S]{{0,{d}}}{kw}))"


def _extract(value: Any, pattern: str, valid: Callable[[Any], Any] | None, group: int = 0) -> Any:
    F = _F()
    found = F.regexp_extract_all(value, F.lit(pattern), group)
    return F.filter(found, valid) if valid is not None else found


def _candidates(value: Any, rec: Recognizer, flags: Any = 0) -> Any:
    """Valid candidates of every pattern of ``rec`` (distinct when there are several patterns)."""
    F = _F()
    found = [_extract(value, rec.pattern, rec.validator, rec.pattern_group)]
    for pattern, valid, free_text_only, *group in rec.extra_patterns:
        extra = _extract(value, pattern, valid, group[0] if group else 0)
        if free_text_only:
            extra = F.when(~_flag(flags, NOT_PERSON_BIT), extra).otherwise(F.array().cast("array<string>"))
        found.append(extra)
    return F.array_distinct(F.concat(*found)) if len(found) > 1 else found[0]


def _typed(matches: Any, rec: Recognizer, type_of: Callable[[Any], Any]) -> Any:
    F = _F()
    return F.transform(matches, lambda m: F.struct(type_of(m).alias("type"), F.lit(rec.label).alias("label"),
                                                   m.alias("text")))


# The number family (``Recognizer.number_family``): recognisers whose every match is made of
# digits and separators (or, for birth dates and addresses, starts or ends with such a digit run)
# between non-alphanumeric boundaries. They form one contiguous block of RECOGNIZERS, guarded
# together by one cheap test (see _NUMBER_RUN).
# A maximal run of digits with a non-alphanumeric character (or the edge) on both sides. Every
# match of a number-family recogniser contains one: the matches start after a non-alphanumeric
# boundary, end before one, and hold only digits, separators, "+" and parentheses (birth dates
# with a month name and addresses still hold a year / ZIP code delimited by spaces). A 64-hex
# token or base64 text almost never has one, so the family's regexes are skipped there.
_NUMBER_RUN = r"(?<![A-Za-z0-9])[0-9]+(?![A-Za-z0-9])"


def cell_shape(value: Any) -> dict[str, Any]:
    """Cheap features of a cell that the recognisers' guards share.

    ``numrun``: a digit run between non-alphanumeric boundaries (``_NUMBER_RUN``); ``upper``: an
    ASCII upper-case letter; ``digits``: the number of digits, computed only when ``numrun``
    (else null); ``letters``: an ASCII letter (null when neither ``upper`` nor ``numrun``, where
    no guard needs it). :func:`find_pii` computes them inline; the detector computes them once
    per cell in projections before it (see ``_matches``), so each is one scan of the value.
    """
    F = _F()
    numrun = value.rlike(_NUMBER_RUN)
    upper = value.rlike("[A-Z]")
    return {"numrun": numrun, "upper": upper, "digits": F.when(numrun, digit_count(value)),
            "letters": F.when(upper, F.lit(True)).when(numrun, value.rlike("[a-z]"))}


def _guard(rec: Recognizer, value: Any, shape: Mapping[str, Any]) -> Any:
    """A cheap test that must hold for any candidate of ``rec`` (skips the regexes otherwise).

    Conditions are ordered cheapest first (Spark's ``AND`` stops at the first false operand):
    the shared cell features, the length or digit count, a literal, then the recogniser's
    ``guard_shape`` (test_guards_never_change_what_is_found compares the guarded and unguarded
    detector on the labelled corpus).
    """
    F = _F()
    terms = []
    if rec.needs_upper:
        terms.append(shape["upper"])
    if rec.min_length:
        terms.append(F.length(value) >= rec.min_length)
    if rec.min_digits and rec.number_family:
        terms.append(shape["digits"] >= rec.min_digits)
    elif rec.min_digits == 1:  # outside the family the digit count is not computed: one digit is a scan
        terms.append(value.rlike("[0-9]"))
    elif rec.min_digits:
        terms.append(digit_count(value) >= rec.min_digits)
    if rec.literal:
        terms.append(value.contains(rec.literal))
    if rec.guard_shape:
        terms.append(value.rlike(rec.guard_shape))
    if not terms:
        return F.lit(True)
    out = terms[0]
    for t in terms[1:]:
        out = out & t
    return out


def _keyword_gate(rec: Recognizer, value: Any, ctx: Any, letters: Any, mode: str) -> Any | None:
    """A cheap test that must hold for a recogniser that needs a keyword to report anything.

    Every keyword contains an ASCII letter (keyword regexes are ASCII case-insensitive), so a
    value without letters can only be reported through its column/path context -- or, for
    phone numbers, through a ``+``, parentheses or a ``-``/``.`` layout, and in strict mode
    for a separated SSN. A card number, an account number or a bare phone number in a column
    without keywords then skips the SSN, routing, bank account, birth date and phone regexes.
    """
    F = _F()
    letters = F.coalesce(letters, F.lit(True))  # unknown: assume letters (never skips wrongly)
    if rec.keyword_rule == "required":
        gate = ctx | letters
        if mode == "strict" and rec.strict_keywordless:
            gate = gate | value.rlike(rec.strict_keywordless)
        return gate
    if rec.keyword_rule == "phone":
        return ctx | letters | value.rlike(r"[+(.\-]")
    return None


def _column_hit(value: Any, rec: Recognizer, flags: Any) -> Any:
    """The whole (trimmed) value has ``rec``'s column form in a column whose name says it holds that kind."""
    return _flag(flags, COLUMN_BITS[rec.label]) & _F().trim(value).rlike(f"^(?:{rec.column_form})$")


def _recognizer_matches(value: Any, shape: Mapping[str, Any], rec: Recognizer, index: int, flags: Any,
                        mode: str, claimed: Any = None) -> Any:
    """array<struct<type,label,text>> of the valid matches of one recogniser in ``value``.

    Evaluated lazily: the skip bit, the keyword gate and the guard first, then the candidates
    (regex, validated once with ``_let``); the keyword regexes run only for a cell that has a
    candidate and no keyword in its column/path name. The keyword proximity test only checks
    membership in the raw near-keyword matches.
    """
    F = _F()
    empty = F.array().cast(MATCH_TYPE)
    no_text = F.array().cast("array<string>")
    ctx = _flag(flags, 1 << index)
    skip = _flag(flags, 1 << (index + 32))
    guard = _guard(rec, value, shape)
    gate = _keyword_gate(rec, value, ctx, shape["letters"], mode)
    if gate is not None:
        guard = gate & guard
    found = _candidates(value, rec, flags)
    text = value.rlike("[A-Za-z]")  # free text: the value has letters (evaluated only for a keywordless candidate)

    def text_kw() -> Any:
        return value.rlike(rec.text_keyword_regex)

    def near_raw() -> Any:
        return F.when(text_kw(), F.regexp_extract_all(value, F.lit(_near_pattern(rec)), 0)).otherwise(no_text)

    def constant(type_name: str) -> Callable[[Any], Any]:
        return lambda m: F.lit(type_name)

    if rec.keyword_rule == "none":
        out = _typed(found, rec, rec.type_of or constant(rec.label))
    elif rec.keyword_rule == "required":
        def required(f: Any) -> Any:
            near = let(near_raw(), lambda n: F.filter(f, lambda m: F.array_contains(n, m)))
            if rec.text_keywordless is not None:
                # free text: context and validity rules instead of a keyword
                near = let(near, lambda b: F.concat(b, F.filter(f, lambda m: text & rec.text_keywordless(value, m)
                                                                 & ~F.array_contains(b, m))))
            if mode == "strict" and rec.strict_keywordless:
                # strict: e.g. a separated SSN needs no keyword
                near = let(near, lambda b: F.concat(b, F.filter(f, lambda m: m.rlike(f"^(?:{rec.strict_keywordless})$")
                                                                 & ~F.array_contains(b, m))))
            return _typed(F.when(ctx | (F.size(f) == 0), f).otherwise(near), rec, constant(rec.label))
        out = let(found, required)
    elif rec.keyword_rule == "card":
        out = let(found, lambda f: F.when(F.size(f) == 0, empty).when(ctx, _typed(f, rec, constant(CARD_TYPES[0])))
                   .otherwise(let(near_raw(), lambda n: _typed(f, rec, lambda m: F.when(
                       F.array_contains(n, m), F.lit(CARD_TYPES[0])).otherwise(F.lit(CARD_TYPES[1]))))))
    elif rec.keyword_rule == "phone":
        out = let(found, lambda f: _typed(F.when(ctx | (F.size(f) == 0), f).otherwise(let(near_raw(), lambda n: F.filter(
            f, lambda m: m.rlike(r"^\(?\+") | m.rlike(rec.keywordless_layout) | F.array_contains(n, m)))), rec, rec.type_of))
    elif rec.keyword_rule == "column":
        whole = F.trim(value)
        as_column = F.array(F.struct(F.lit(rec.label).alias("type"), F.lit(rec.label).alias("label"),
                                     whole.alias("text")))
        column_hit = _column_hit(value, rec, flags)
        if claimed is not None:  # a cell an earlier column recogniser reports whole is one span already
            guard = ~claimed & guard
        return F.when(~skip & column_hit, as_column).when(~skip & guard, _typed(found, rec, constant(rec.label))) \
            .otherwise(empty)
    else:  # pragma: no cover - guarded by the RECOGNIZERS table
        raise ValueError(rec.keyword_rule)
    return F.when(~skip & guard, out).otherwise(empty)


def digit_count(value: Any) -> Any:
    """Number of ASCII digits in a string (the recognisers' cheapest guard)."""
    F = _F()
    return F.length(F.regexp_replace(value, "[^0-9]+", ""))


def find_pii(value: Any, flags: Any = 0, config: DetectConfig | None = None, *,
             shape: Mapping[str, Any] | None = None) -> Any:
    """All valid matches in a string column: ``array<struct<type, label, text>>``; null stays null.

    ``flags`` is the context bit mask of the column (an int from :func:`context_flags`, or a
    long Column when cells of many columns are stacked). ``shape``: the cell's
    :func:`cell_shape` features as columns computed in an earlier projection (several guards
    use them, and Spark does not share an expression between conditional branches); computed
    inline when absent. Matches come in recogniser priority order (AWS keys, e-mail, IBAN,
    card, SSN, phone, routing, bank account, IPv4, birth date, address, name), which is also
    the order the scrubber replaces them in.
    """
    F = _F()
    config = config or DetectConfig()
    empty = F.array().cast(MATCH_TYPE)
    shape = dict(shape) if shape is not None else cell_shape(value)
    # No "let" around the value or its features: the guards then stay in Spark's generated code
    # and only a cell that passes a guard reaches the interpreted higher-order functions (regex
    # candidates, Luhn, mod 97, keyword proximity).
    out: list[Any] = []
    family: list[Any] = []
    family_digits = 99

    def close_family() -> None:
        nonlocal family, family_digits
        if family:
            # one cheap test guards the whole block of number-shaped recognisers
            guard = shape["numrun"] & (shape["digits"] >= family_digits)
            out.append(F.when(guard, F.concat(*family) if len(family) > 1 else family[0]).otherwise(empty))
        family, family_digits = [], 99

    # A cell that a column recogniser reports whole (an address in an address column) is not
    # searched again by the text patterns of the column recognisers after it (names): the whole
    # value is already one span -- masked, redacted and reported as that type.
    claimed = None
    for rec in config.recognizers:
        matches = _recognizer_matches(value, shape, rec, RECOGNIZERS.index(rec), flags, config.mode, claimed)
        if rec.keyword_rule == "column":
            index = RECOGNIZERS.index(rec)
            hit = _column_hit(value, rec, flags) & ~_flag(flags, 1 << (index + 32))
            claimed = hit if claimed is None else claimed | hit
        if rec.number_family:
            family.append(matches)
            family_digits = min(family_digits, rec.min_digits)
        else:
            close_family()
            out.append(matches)
    close_family()
    found = F.concat(*out) if len(out) > 1 else out[0]
    return F.when(value.isNull(), F.lit(None).cast(MATCH_TYPE)).otherwise(found)


def redact_pii_spans(col: Any, context: str | None = None) -> Any:
    """Replace every detected span in free text by a typed placeholder such as ``[CREDIT_CARD_NUMBER]``
    (``[PERSON]`` for a person's name).

    Strict rules (a separated SSN needs no keyword); ``context`` is the column name, whose
    keywords count for the whole value. Null stays null; text without PII is returned unchanged.
    """
    F = _F()
    matches = find_pii(col, context_flags(context), DetectConfig(mode="strict"))
    placeholders = F.create_map(*[x for r in RECOGNIZERS for x in (F.lit(r.label), F.lit(r.placeholder))])
    return F.aggregate(matches, col, lambda acc, m: F.replace(acc, m["text"], F.element_at(placeholders, m["label"])))


PLACEHOLDERS = {r.label: r.placeholder for r in RECOGNIZERS}


def explode_matches(cells: Any, config: DetectConfig) -> Any:
    """Explode ``find_pii`` over a cells DataFrame with ``value`` and ``flags`` columns.

    ``find_pii`` runs in a projection (code-generated, guards and all) and only the resulting
    column is exploded: Spark evaluates a generator's argument without code generation. The
    explode is ``explode_outer`` followed by a filter because for a plain ``explode`` of a column
    Spark infers ``size(_ms) > 0`` and pushes it below the projection -- computing ``find_pii``
    twice per cell.
    """
    F = _F()
    value = F.col("value")
    first = cell_shape(value)
    features = (cells.select("*", first["numrun"].alias("_numrun"), first["upper"].alias("_upper"))
                .select("*", F.when(F.col("_numrun"), digit_count(value)).alias("_digits"),
                        F.when(F.col("_upper"), F.lit(True)).when(F.col("_numrun"), value.rlike("[a-z]")).alias("_letters")))
    shape = {k: F.col(f"_{k}") for k in ("numrun", "upper", "digits", "letters")}
    return (features.select("*", find_pii(value, F.col("flags"), config, shape=shape).alias("_ms"))
            .select("*", F.explode_outer("_ms").alias("m")).where(F.col("m").isNotNull())
            .drop("_ms", "_numrun", "_upper", "_digits", "_letters"))




def type_spans(value: Any, type_name: str) -> Any:
    """Valid matches of the recogniser of a Macie type in ``value``: ``array<string>``.

    No keyword is needed (Macie, or the detector, already found the type in this value); a type
    without a recogniser gives an empty array. A person name is the whole value when the value is
    a name, else the names the free-text rule finds.
    """
    F = _F()
    rec = recognizer_for_type(type_name)
    if rec is None:
        return F.array().cast("array<string>")
    if rec.keyword_rule == "column":
        whole = F.trim(value)
        return F.when(whole.rlike(f"^(?:{rec.column_form})$"), F.array(whole)).otherwise(_candidates(value, rec))
    return _candidates(value, rec)
