"""The recogniser registry: one record per kind of personal data.

A :class:`Recognizer` holds everything about one recogniser -- the Macie type names it reports and
their category, the candidate pattern (a Java regex), the keyword rule and context keywords, the
validator (a Spark expression from :mod:`.validators`), the cheap guards that skip the regex on
most cells, and its minimum number of digits. Adding a recogniser = adding one record to
``RECOGNIZERS`` (and its tests); :mod:`.expressions` builds every Spark expression from the records.

Keywords follow Macie's rules (docs/DETECTION.md has the sources): a keyword must be within 30
characters (inclusive) before or after the value, or -- for CSV/TSV columns and for
Parquet/Avro/JSON/JSON Lines paths -- in the name of the column or of any element of the path, in
which case it counts for every value of that column. Keywords are case-insensitive and a space in
a keyword also matches ``_``, ``-`` or nothing. Context (column or path names) is evaluated once
on the driver and handed to Spark as a bit mask, so a per-row keyword test costs a bit operation.

Two modes:

``macie``   what the detector reports as discovery results (``CREDIT_CARD_NUMBER`` needs a
            keyword, ``CREDIT_CARD_NUMBER_(NO_KEYWORD)`` does not, SSNs and bank accounts need one).
``strict``  the leak check and the scrubber: additionally a separated SSN (``ddd-dd-dddd``)
            counts without a keyword. Stricter is safer where a miss is a breach.

Outputs use Macie's managed data identifier ids where one exists and custom identifier names
otherwise (``EMAIL_ADDRESS``, ``IPV4_ADDRESS``, ``AWS_ACCESS_KEY_ID``, ``ABA_ROUTING_NUMBER``,
``IBAN`` for countries Macie has no id for, ``INTERNATIONAL_PHONE_NUMBER``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from ..errors import ConfigError
from . import validators as V
from .formats import (ADDRESS_COLUMN_RE, COLUMN_NAME_FORMS, FULL_NAME, HONORIFIC, IBAN_MACIE_COUNTRIES,
                      NAME_COLUMN_RE, NAME_CUES_AFTER, NAME_CUES_BEFORE, NAME_PART, NATIONAL_PHONE_LAYOUTS,
                      NOT_ADDRESS_COLUMN_RE, NOT_PERSON_NAME_RE, PHONE_COUNTRY_TYPES, PO_BOX, STREET_GLUED,
                      STREET_NUMBER_FIRST_EU, STREET_TYPE_FIRST, STREET_US_UK, STREET_WORDS)

KEYWORD_DISTANCE = 30
MODES = ("macie", "strict")
CATEGORIES = ("CREDENTIALS", "FINANCIAL_INFORMATION", "PERSONAL_INFORMATION", "CUSTOM_IDENTIFIER")
KEYWORD_RULES = ("none", "required", "card", "phone", "column")

# --- keyword regexes --------------------------------------------------------------------------
# --- keyword regexes --------------------------------------------------------------------------


def _escape(text: str) -> str:
    """Escape a literal for both Java and Python regexes (spaces become ``[ _-]?`` as Macie does)."""
    out = []
    for ch in text:
        if ch == " ":
            out.append("[ _-]?")
        elif ch in ".^$*+?()[]{}|\\-/#":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def keyword_regex(keywords: Sequence[str], *, in_name: bool) -> str:
    """Case-insensitive alternation of keywords.

    In free text a keyword must be a word of its own (optionally plural); in a column or path name
    it may be part of a longer name (``ssn`` in ``customer_ssn``), except keywords of three letters
    or fewer, which must not touch other letters (``pan`` is not in ``company``).
    """
    parts = []
    for kw in sorted(set(k.lower() for k in keywords), key=len, reverse=True):
        body = _escape(kw)
        short = len(re.sub(r"[^a-z]", "", kw)) <= 3
        if in_name and not short:
            parts.append(body)
        else:
            parts.append(f"(?<![a-z]){body}(?:s|es)?(?![a-z])")
    return "(?i:" + "|".join(parts) + ")"


# --- the record ---------------------------------------------------------------------------------

_B0 = "(?<![A-Za-z0-9])"
_B1 = "(?![A-Za-z0-9])"
_B1N = "(?![A-Za-z0-9]|[.,]\\d)"  # and not before a decimal part (an amount)


@dataclass(frozen=True)
class Recognizer:
    """One kind of personal data: what it reports, how it finds candidates, validates and guards.

    ``label``: the recogniser's name and its placeholder (``[LABEL]``); ``types``: the Macie type
    names it reports (default ``(label,)``), of which ``custom_types`` are custom identifiers;
    ``category``: Macie's ``SensitiveDataItemCategory`` of its managed types; ``type_of``: the
    type of one match when there are several (IBAN country, phone country code).
    ``pattern``: candidates (Java regex); ``pattern_group``: the capturing group that is the
    candidate (0: the whole match). A context that must precede a candidate is matched forwards
    and the candidate taken as group 1, not written as a look-behind: Java tries a variable-length
    look-behind at every position of every cell (the name cues cost 6x more that way).
    ``validator``: Column -> boolean Column over a candidate.
    ``keyword_rule``: ``none`` (always reported), ``required`` (keyword in context or within
    30 characters), ``card`` (keyword chooses ``CREDIT_CARD_NUMBER`` vs ``..._(NO_KEYWORD)``),
    ``phone`` (a country code, a keyword or a layout in ``keywordless_layout``),
    ``column`` (the whole value of a column of this kind -- person names, addresses -- else the
    text patterns, which need no keyword).
    ``strict_keywordless``: in strict mode a candidate matching this regex needs no keyword.
    ``text_keywordless``: (value, candidate) -> boolean Column over a valid candidate: in free text (a value
    with letters) such a candidate needs no keyword, in either mode (context and validity rules).
    ``extra_patterns``: further ``(pattern, validator, free_text_only[, group])`` candidates of the same
    kind; ``free_text_only`` ones are not used in columns whose name says they hold no person.
    ``column_form``: for the ``column`` rule, the shape a whole value must have in a column whose
    name says it holds this kind (``context_flags`` sets the column bit).
    Guards (all must hold before the regex runs; cheapest first): ``needs_upper`` (an ASCII
    upper-case letter), ``min_length``, ``min_digits``, ``literal`` (a substring) and
    ``guard_shape`` (a simple regex every candidate contains). ``number_family``: the recogniser
    is one of the contiguous block of number-shaped recognisers guarded together by one digit-run
    test. ``number_shaped``: the leak check skips it in columns declared format-preserving.
    ``placeholder_name``: the scrubber's placeholder word when it is not the label.
    """

    label: str
    pattern: str
    keyword_rule: str
    keywords: tuple[str, ...] = ()
    validator: Callable[[Any], Any] | None = None
    category: str = "PERSONAL_INFORMATION"
    types: tuple[str, ...] = ()
    custom_types: tuple[str, ...] = ()
    type_of: Callable[[Any], Any] | None = None
    strict_keywordless: str | None = None
    text_keywordless: Callable[[Any, Any], Any] | None = None
    keywordless_layout: str | None = None
    extra_patterns: tuple[tuple[Any, ...], ...] = ()
    pattern_group: int = 0
    column_form: str | None = None
    needs_upper: bool = False
    min_length: int = 0
    min_digits: int = 0
    literal: str | None = None
    guard_shape: str | None = None
    number_family: bool = False
    number_shaped: bool = False
    placeholder_name: str = ""

    def __post_init__(self) -> None:
        if self.keyword_rule not in KEYWORD_RULES:
            raise ValueError(f"recogniser {self.label}: keyword_rule must be one of {KEYWORD_RULES}")
        if self.category not in CATEGORIES:
            raise ValueError(f"recogniser {self.label}: category must be one of {CATEGORIES}")
        if not self.types:
            object.__setattr__(self, "types", (self.label,))
        if self.pattern_group and self.keyword_rule in ("required", "card", "phone"):
            raise ValueError(f"recogniser {self.label}: keyword proximity needs the whole match (pattern_group 0)")
        for extra in self.extra_patterns:
            if len(extra) not in (3, 4):
                raise ValueError(f"recogniser {self.label}: extra pattern needs (pattern, validator, free_text_only[, group])")
        if self.keyword_rule in ("required", "card") and not self.keywords:
            raise ValueError(f"recogniser {self.label}: keyword rule {self.keyword_rule} needs keywords")

    @property
    def managed(self) -> bool:
        return self.label not in self.custom_types

    @property
    def placeholder(self) -> str:
        """What the free-text scrubber writes for a span (``[LABEL]``, ``[PERSON]`` for names)."""
        return f"[{self.placeholder_name or self.label}]"

    @property
    def text_keyword_regex(self) -> str:
        return keyword_regex(self.keywords, in_name=False) if self.keywords else ""

    @property
    def name_keyword_regex(self) -> str:
        return keyword_regex(self.keywords, in_name=True) if self.keywords else ""


CARD_KEYWORDS = ("account number", "american express", "amex", "bank card", "c card", "card", "cc #", "cc#", "ccn",
                 "check card", "cred card", "credit", "credit card", "credit no", "credit num", "dankort", "debit",
                 "debit card", "debit no", "debit num", "diners club", "discover", "electron", "japanese card bureau",
                 "jcb", "mastercard", "mc", "pan", "payment account number", "payment card number", "pcn", "pmnt #",
                 "pmnt card", "pmnt no", "pmnt number", "union pay", "visa")
# Macie's BANK_ACCOUNT_NUMBER keywords, plus (documented extension) the generic "account number"
# forms, because Macie's list names only "<kind> account" phrases.
BANK_KEYWORDS = ("bank account", "bank acct", "checking account", "checking acct", "deposit account", "deposit acct",
                 "savings account", "savings acct", "chequing account", "chequing acct",
                 "account number", "account no", "acct number", "acct no", "account num")
SSN_KEYWORDS = ("social security", "ss#", "ssn")
# Macie's phone keywords plus (documented extension) the verbs people write next to a number
PHONE_KEYWORDS = ("cell", "contact", "fax", "fax number", "mobile", "phone", "phone number", "tel", "telephone",
                  "telephone number", "call", "called", "calling", "call back", "callback", "dial", "reach", "ring",
                  "whatsapp", "sms", "text me", "tlf", "telefono", "telefone", "telefon", "portable", "handy")
DOB_KEYWORDS = ("bday", "b-day", "birth date", "birthday", "date of birth", "dob", "birthdate", "born")
AWS_SECRET_KEYWORDS = ("aws_secret_access_key", "credentials", "secret access key", "secret key", "set-awscredential")
ABA_KEYWORDS = ("routing", "routing number", "aba", "abartn", "rtn", "transit number", "routing no")

_CARD_TYPES = ("CREDIT_CARD_NUMBER", "CREDIT_CARD_NUMBER_(NO_KEYWORD)")
_IBAN_TYPES = tuple(f"{c}_BANK_ACCOUNT_NUMBER" for c in IBAN_MACIE_COUNTRIES.values()) + ("IBAN",)
_PHONE_TYPES = tuple(t for _, t in PHONE_COUNTRY_TYPES) + ("INTERNATIONAL_PHONE_NUMBER",)
# Layouts reported without a keyword: North-American (212) 555-0100, 212-555-0100, 212.555.0100,
# and the national layouts of formats.NATIONAL_PHONE_LAYOUTS
PHONE_LAYOUT = (r"^(?:(?:1[ .\-]?)?(?:\(\d{3}\) ?\d{3}[\-.]\d{4}|\d{3}([\-.])\d{3}\1\d{4})|"
                + "|".join(NATIONAL_PHONE_LAYOUTS) + ")$")
# A number right after one of these words is an order, ticket, product... reference, not a card,
# SSN, routing or phone number written without a keyword ("Order #4556...", "case 123-45-6789").
# ... and a digit group inside an IBAN ("PL58 8102 3603 ...") is never a card or phone number.
_NOT_IN_IBAN = r"(?<![A-Z]{2}\d{2}[ \-](?:[A-Z0-9]{4}[ \-]){0,7})"
_NOT_AFTER = (r"(?<!(?i:order|invoice|inv|ref|reference|ticket|case|tracking|track|sku|ean|upc|gtin|isbn|barcode|"
              r"item|product|part|serial|model|po|batch|lot|confirmation|booking|reservation|txn|transaction|receipt|"
              r"policy|claim|member|voucher|coupon|parcel|shipment|awb)(?: ?(?:no\.?|number|num|nr|id|code|#))?"
              r"[ ]?[#:.]?[ ]?)")

# The variable-length look-behinds above are tested only where a candidate can start: Java
# evaluates a pattern's leading assertions at every position of the cell, so a one-character
# look-ahead in front of them skips almost all positions (an assertion's order does not change a match).
_DIGIT_NEXT = "(?=[0-9])"

_SSN = r"(?<![A-Za-z0-9\-])(?<!\d[.,])\d{3}([\- ]?)\d{2}\1\d{4}(?![A-Za-z0-9\-]|[.,]\d)"

# Order matters: it is the priority order of matches (and of the scrubber's replacements), and
# the number family must stay one contiguous block.
RECOGNIZERS: tuple[Recognizer, ...] = (
    Recognizer("AWS_CREDENTIALS", r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])", "required",
               AWS_SECRET_KEYWORDS, V.aws_secret_valid, category="CREDENTIALS", needs_upper=True, min_length=40,
               guard_shape=r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"),
    Recognizer("AWS_ACCESS_KEY_ID", _B0 + r"(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA)[A-Z0-9]{16}" + _B1,
               "none", validator=V.aws_key_id_valid, category="CUSTOM_IDENTIFIER", custom_types=("AWS_ACCESS_KEY_ID",),
               needs_upper=True, min_length=20, guard_shape="A(?:KIA|SIA|BIA|CCA|GPA|IDA|IPA|NPA|NVA|PKA|ROA)"),
    Recognizer("EMAIL_ADDRESS", r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@"
               r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])",
               "none", validator=V.email_valid, category="CUSTOM_IDENTIFIER", custom_types=("EMAIL_ADDRESS",),
               literal="@"),
    Recognizer("IBAN", _B0 + r"[A-Z]{2}\d{2}(?:[ \-]?[A-Z0-9]{4}){2,7}(?:[ \-]?[A-Z0-9]{1,3})?" + _B1, "none",
               validator=V.iban_valid, category="FINANCIAL_INFORMATION", types=_IBAN_TYPES, custom_types=("IBAN",),
               type_of=V.iban_type, needs_upper=True, guard_shape=r"[A-Z]{2}[0-9]{2}", number_shaped=True),
    Recognizer("CREDIT_CARD_NUMBER", _B0 + _DIGIT_NEXT + _NOT_AFTER + _NOT_IN_IBAN + r"(?<!\d[.,])\d(?:[ \-]?\d){11,18}" + _B1N,
               "card", CARD_KEYWORDS, V.card_valid, category="FINANCIAL_INFORMATION", types=_CARD_TYPES, min_digits=12,
               guard_shape=r"[0-9](?:[ -]?[0-9]){11}", number_family=True, number_shaped=True),
    Recognizer("USA_SOCIAL_SECURITY_NUMBER", _SSN, "required", SSN_KEYWORDS, V.ssn_valid,
               strict_keywordless=r"\d{3}([\- ])\d{2}\1\d{4}",
               text_keywordless=lambda value, m: V.ssn_in_text(value, m, keyword_regex(ABA_KEYWORDS, in_name=False),
                                                               _DIGIT_NEXT + _NOT_AFTER + _SSN), min_digits=9,
               guard_shape=r"[0-9]{3}[- ]?[0-9]{2}[- ]?[0-9]{4}", number_family=True, number_shaped=True),
    Recognizer("PHONE_NUMBER", r"(?<![A-Za-z0-9+])(?=[0-9(+])" + _NOT_AFTER + _NOT_IN_IBAN
               + r"(?:\(?\+\d{1,3}\)?[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?(?:\d[ .\-]?){5,12}\d"
               r"|(?:1[ .\-]?)?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .\-]?)[2-9]\d{2}[ .\-]?\d{4}"
               r"|\(0\d{1,4}\) ?(?:\d[ .\-]?){5,9}\d|0(?:\d[ .\-/]?){7,13}\d"
               r"|\(?[1-9]{2}\)? ?9?\d{4}[ \-]?\d{4}|[3689]\d{2}(?:[ .\-]?\d{2,3}){2,3}|[6-9]\d(?:[ .\-]\d{2,3}){3})"
               + _B1N,
               "phone", PHONE_KEYWORDS, V.phone_valid, types=_PHONE_TYPES, custom_types=("INTERNATIONAL_PHONE_NUMBER",),
               type_of=V.phone_type, keywordless_layout=PHONE_LAYOUT, min_digits=8,
               guard_shape=r"\+[0-9]|[0-9](?:[ ./()/-]{0,2}[0-9]){8}", number_family=True, number_shaped=True),
    # free text: a valid routing number needs no keyword, unless the text names it an SSN
    Recognizer("ABA_ROUTING_NUMBER", r"(?<![A-Za-z0-9.,\-])" + _DIGIT_NEXT + _NOT_AFTER + r"\d{9}(?![A-Za-z0-9]|[.,]\d)",
               "required", ABA_KEYWORDS, V.aba_checksum_valid,
               text_keywordless=lambda value, m: ~value.rlike(keyword_regex(SSN_KEYWORDS, in_name=False)),
               category="CUSTOM_IDENTIFIER", custom_types=("ABA_ROUTING_NUMBER",), min_digits=9,
               guard_shape=r"[0-9]{9}", number_family=True, number_shaped=True),
    Recognizer("BANK_ACCOUNT_NUMBER", r"(?<![A-Za-z0-9.,\-])\d{9,17}(?![A-Za-z0-9]|[.,]\d)", "required",
               BANK_KEYWORDS, V.bank_account_valid, category="FINANCIAL_INFORMATION", min_digits=9,
               guard_shape=r"[0-9]{9}", number_family=True, number_shaped=True),
    Recognizer("IPV4_ADDRESS", r"(?<![A-Za-z0-9.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
               r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![A-Za-z0-9]|\.\d)", "none", category="CUSTOM_IDENTIFIER",
               custom_types=("IPV4_ADDRESS",), min_digits=4, guard_shape=r"[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]",
               number_family=True),
    Recognizer("DATE_OF_BIRTH", _B0 + r"(?:(?:19|20)\d{2}([\-/. ])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])"
               r"|(?:0?[1-9]|[12]\d|3[01])([\-/. ])(?:0?[1-9]|1[0-2])\2(?:19|20)\d{2}"
               r"|(?:0?[1-9]|1[0-2])([\-/. ])(?:0?[1-9]|[12]\d|3[01])\3(?:19|20)\d{2}"
               r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6}\.? \d{1,2},? (?:19|20)\d{2}"
               r"|\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6}\.? (?:19|20)\d{2})" + _B1,
               "required", DOB_KEYWORDS, min_digits=5,
               guard_shape=r"[0-9][ ./-][0-9]{1,2}[ ./-][0-9]|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)",
               number_family=True),
    # not in the number family: a house number such as "221B" is not a digit run of its own
    Recognizer("ADDRESS", _B0 + STREET_US_UK + _B1, "column", needs_upper=True, min_digits=1,
               extra_patterns=((_B0 + STREET_NUMBER_FIRST_EU, None, False), (_B0 + STREET_TYPE_FIRST, None, False),
                               (_B0 + STREET_GLUED, None, False), (_B0 + PO_BOX, None, False)),
               column_form=r"(?=[\s\S]*\d)(?=[\s\S]*\p{L}{2}[\s\S]*\s[\s\S]*\p{L}{2})[\s\S]{6,300}",
               guard_shape=STREET_WORDS),
    Recognizer("NAME", rf"{NAME_CUES_BEFORE}[ ,:]{{1,2}}({FULL_NAME})(?![\p{{L}}])", "column",
               validator=V.person_name_valid, pattern_group=1,
               extra_patterns=((rf"(?<![\p{{L}}\p{{N}}'\-]){FULL_NAME}(?={NAME_CUES_AFTER})", V.person_name_valid, False),
                               (rf"{HONORIFIC} ({NAME_PART})(?![ \-]?\p{{Lu}})(?![\p{{L}}])", V.person_name_valid,
                                False, 1),
                               (rf"(?<![\p{{L}}\p{{N}}'\-.]){FULL_NAME}(?![\p{{L}}])", V.given_name_first, True)),
               column_form=rf"(?:{HONORIFIC} )?{COLUMN_NAME_FORMS}", placeholder_name="PERSON",
               guard_shape=r"\p{Lu}[\p{Ll}'\u2019]+\.?,?[ \-](?:\p{Ll}{1,4}\.?[ \-]){0,2}\p{Lu}"),
)
_BY_LABEL = {r.label: r for r in RECOGNIZERS}
NAME_BIT = 1 << len(RECOGNIZERS)  # context bit: the column/path holds person names
ADDRESS_BIT = NAME_BIT << 1  # context bit: the column/path holds street addresses
NOT_PERSON_BIT = NAME_BIT << 2  # context bit: the column names a business, product... (no person)
COLUMN_BITS = {"NAME": NAME_BIT, "ADDRESS": ADDRESS_BIT}
_BUSINESS_COLUMN = re.compile(r"(?i)merchant|company|business|vendor|brand|store|shop|dba|bank|employer")
CARD_TYPES = _CARD_TYPES
CUSTOM_TYPES: frozenset[str] = frozenset(t for r in RECOGNIZERS for t in r.custom_types)
MANAGED_TYPES: frozenset[str] = frozenset(t for r in RECOGNIZERS for t in r.types) - CUSTOM_TYPES
_BY_TYPE = {t: r for r in RECOGNIZERS for t in r.types}


def recognizer_for_type(type_name: str) -> Recognizer | None:
    """The recogniser that finds values of a Macie type (also Macie's own ``<COUNTRY>_...`` types
    this detector does not emit); None when there is none."""
    if type_name in _BY_TYPE:
        return _BY_TYPE[type_name]
    if type_name.startswith("CREDIT_CARD_NUMBER"):
        return _BY_LABEL["CREDIT_CARD_NUMBER"]
    if type_name.endswith("_BANK_ACCOUNT_NUMBER"):
        return _BY_LABEL["IBAN"]
    if type_name.endswith("PHONE_NUMBER"):
        return _BY_LABEL["PHONE_NUMBER"]
    return None


def type_category(type_name: str) -> str:
    """Macie's ``SensitiveDataItemCategory`` of a managed type (``CUSTOM_IDENTIFIER`` otherwise)."""
    if type_name in CUSTOM_TYPES or type_name not in MANAGED_TYPES:
        return "CUSTOM_IDENTIFIER"
    return _BY_TYPE[type_name].category


# --- configuration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DetectConfig:
    """How the detector runs.

    ``mode``: ``macie`` or ``strict`` (see the module docstring). ``labels``: restrict to these
    recognisers (default all). ``format_preserving_columns``: columns whose values are
    format-preserving tokens (declared by the run manifest); the number-shaped recognisers (cards,
    bank accounts, IBANs, SSNs, routing and phone numbers) are skipped *only* there.
    ``max_occurrences``: occurrences listed per type and object in discovery results (Macie: 1,000).
    ``header``: CSV/TSV header line: ``auto``, ``true`` or ``false``.
    """

    mode: str = "macie"
    labels: tuple[str, ...] | None = None
    format_preserving_columns: frozenset[str] = field(default_factory=frozenset)
    max_occurrences: int = 1000
    header: str = "auto"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError("--detect_mode", f"must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.labels is not None:
            unknown = sorted(set(self.labels) - set(_BY_LABEL))
            if unknown:
                raise ConfigError("--detect_types", f"unknown recogniser {unknown[0]!r}; valid: {', '.join(_BY_LABEL)}")
        if isinstance(self.max_occurrences, bool) or not isinstance(self.max_occurrences, int) \
                or not 1 <= self.max_occurrences <= 1000:
            raise ConfigError("--max_occurrences", f"must be an integer in 1..1000, got {self.max_occurrences!r}")
        if self.header not in ("auto", "true", "false"):
            raise ConfigError("--header", f"must be auto, true or false, got {self.header!r}")
        object.__setattr__(self, "format_preserving_columns", frozenset(self.format_preserving_columns))

    @property
    def recognizers(self) -> tuple[Recognizer, ...]:
        if self.labels is None:
            return RECOGNIZERS
        return tuple(r for r in RECOGNIZERS if r.label in self.labels)


def context_flags(names: Iterable[str] | str | None, *, format_preserving: bool = False) -> int:
    """Bit mask of the recognisers whose keywords appear in a column name or path elements.

    Bit ``i`` is recogniser ``RECOGNIZERS[i]``; ``NAME_BIT`` marks a person-name column. For a
    format-preserving column the number-shaped recognisers get a *skip* bit (bit ``i + 32``).
    """
    if names is None:
        return 0
    if isinstance(names, str):
        names = [names]
    names = [n for n in names if n]
    flags = 0
    for i, rec in enumerate(RECOGNIZERS):
        if rec.keywords and any(re.search(rec.name_keyword_regex, n) for n in names):
            flags |= 1 << i
        if format_preserving and rec.number_shaped:
            flags |= 1 << (i + 32)
    last = names[-1] if names else ""
    if last and NAME_COLUMN_RE.search(last) and not NOT_PERSON_NAME_RE.search(last):
        flags |= NAME_BIT
    if last and NOT_PERSON_NAME_RE.search(last) and (NAME_COLUMN_RE.search(last) or _BUSINESS_COLUMN.search(last)):
        flags |= NOT_PERSON_BIT
    if last and ADDRESS_COLUMN_RE.search(last) and not NOT_ADDRESS_COLUMN_RE.search(last):
        flags |= ADDRESS_BIT
    return flags


