"""Spark-native PII recognisers, the free-text scrubber and the built-in detector job.

Every recogniser is a Java regular expression for *candidates* plus a validation written in Spark
built-ins (Luhn with ``transform``/``aggregate`` over the digit array, IBAN mod-97 folded one
character chunk at a time, the ABA checksum with ``zip_with`` over weights, SSN area/group/serial
rules). There is no Python UDF: everything runs inside the JVM.

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
from typing import Any, Callable, Iterable, Mapping, Sequence

from .errors import ConfigError

__all__ = [
    "CUSTOM_TYPES",
    "DetectConfig",
    "MANAGED_TYPES",
    "RECOGNIZERS",
    "Recognizer",
    "aba_checksum_valid",
    "context_flags",
    "detect_pii",
    "find_pii",
    "iban_valid",
    "luhn_valid",
    "redact_pii_spans",
    "run_detect_pii",
    "type_category",
]

KEYWORD_DISTANCE = 30
MODES = ("macie", "strict")

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


def _keyword_regex(keywords: Sequence[str], *, in_name: bool) -> str:
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


# --- recognisers --------------------------------------------------------------------------------

_B0 = "(?<![A-Za-z0-9])"
_B1 = "(?![A-Za-z0-9])"

CARD_BRANDS = (
    r"^(?:4\d{12}(?:\d{3}){0,2}"  # Visa, Visa Electron: 13, 16, 19
    r"|(?:5[1-5]\d{2}|222[1-9]|22[3-9]\d|2[3-6]\d{2}|27[01]\d|2720)\d{12}"  # Mastercard
    r"|3[47]\d{13}"  # American Express
    r"|(?:6011|65\d{2}|64[4-9]\d)\d{12,15}"  # Discover
    r"|3(?:0[0-5]|[689]\d)\d{11,16}"  # Diners Club
    r"|35(?:2[89]|[3-8]\d)\d{12,15}"  # JCB
    r"|62\d{14,17}"  # UnionPay
    r"|5019\d{12})$"  # Dankort
)
# Numbers card issuers reserve for public testing, which Macie does not report (Macie user guide,
# "Managed data identifiers for financial information").
CARD_TEST_NUMBERS = (
    "122000000000003", "2222405343248877", "2222990905257051", "2223007648726984", "2223577120017656",
    "30569309025904", "34343434343434", "3528000700000000", "3530111333300000", "3566002020360505",
    "36148900647913", "36700102000000", "371449635398431", "378282246310005", "378734493671000",
    "38520000023237", "4012888888881881", "4111111111111111", "4222222222222", "4444333322221111",
    "4462030000000000", "4484070000000000", "4911830000000", "4917300800000000", "4917610000000000",
    "4917610000000000003", "5019717010103742", "5105105105105100", "5111010030175156", "5185540810000019",
    "5200828282828210", "5204230080000017", "5204740009900014", "5420923878724339", "5454545454545454",
    "5455330760000018", "5506900490000436", "5506900490000444", "5506900510000234", "5506920809243667",
    "5506922400634930", "5506927427317625", "5553042241984105", "5555553753048194", "5555555555554444",
    "5610591081018250", "6011000990139424", "6011000400000000", "6011111111111117", "630490017740292441",
    "630495060000000000", "6331101999990016", "6759649826438453", "6799990100000000019", "76009244561",
)
# Fictitious AWS keys from AWS documentation that Macie does not report.
AWS_EXAMPLE_SECRETS = ("je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")

# ISO 13616 IBAN lengths per country (SWIFT IBAN registry).
IBAN_LENGTHS: Mapping[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
    "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SN": 28, "SO": 23,
    "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}
# Countries with a Macie managed identifier for IBANs (<COUNTRY>_BANK_ACCOUNT_NUMBER).
IBAN_MACIE_COUNTRIES: Mapping[str, str] = {
    "AL": "ALBANIA", "AD": "ANDORRA", "BA": "BOSNIA_AND_HERZEGOVINA", "BR": "BRAZIL", "BG": "BULGARIA",
    "CR": "COSTA_RICA", "HR": "CROATIA", "CY": "CYPRUS", "CZ": "CZECH_REPUBLIC", "DK": "DENMARK",
    "DO": "DOMINICAN_REPUBLIC", "EG": "EGYPT", "EE": "ESTONIA", "FO": "FAROE_ISLANDS", "FI": "FINLAND",
    "FR": "FRANCE", "GE": "GEORGIA", "DE": "GERMANY", "GR": "GREECE", "GL": "GREENLAND", "HU": "HUNGARY",
    "IS": "ICELAND", "IE": "IRELAND", "IT": "ITALY", "JO": "JORDAN", "XK": "KOSOVO", "LI": "LIECHTENSTEIN",
    "LT": "LITHUANIA", "MT": "MALTA", "MR": "MAURITANIA", "MU": "MAURITIUS", "MC": "MONACO",
    "ME": "MONTENEGRO", "NL": "NETHERLANDS", "MK": "NORTH_MACEDONIA", "PL": "POLAND", "PT": "PORTUGAL",
    "SM": "SAN_MARINO", "SN": "SENEGAL", "RS": "SERBIA", "SK": "SLOVAKIA", "SI": "SLOVENIA", "ES": "SPAIN",
    "SE": "SWEDEN", "CH": "SWITZERLAND", "TL": "TIMOR_LESTE", "TN": "TUNISIA", "TR": "TURKIYE", "GB": "UK",
    "UA": "UKRAINE", "AE": "UNITED_ARAB_EMIRATES", "VG": "VIRGIN_ISLANDS",
}
PHONE_COUNTRY_TYPES = (("1", "PHONE_NUMBER"), ("44", "UK_PHONE_NUMBER"), ("33", "FRANCE_PHONE_NUMBER"),
                       ("49", "GERMANY_PHONE_NUMBER"), ("39", "ITALY_PHONE_NUMBER"), ("34", "SPAIN_PHONE_NUMBER"),
                       ("55", "BRAZIL_PHONE_NUMBER"))
US_STATES = ("AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|"
             "NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR")
_NAME_PART = r"\p{Lu}(?:\p{Ll}+(?:\p{Lu}\p{Ll}+)?|['\u2019]\p{Lu}\p{Ll}+)(?:-\p{Lu}\p{Ll}+)?"
FULL_NAME = (rf"{_NAME_PART}(?: \p{{Lu}}\.)?(?: (?:(?:van|von|de|da|di|del|der|le|la|du|dos|bin|al)[ -])?"
             rf"{_NAME_PART}){{1,3}}")
_HONORIFIC = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?"
# last words that make "Dr. Smile Dental" a business, not a person
_NOT_A_PERSON = (r"(?i)\b(?:dental|clinic|pharmacy|hospital|grocery|store|market|shop|inc|llc|ltd|corp|company|bank|"
                 r"hotel|cafe|restaurant|services|group|center|centre|studio|salon|motors|garage|bakery|foods)\b")
NAME_COLUMN_RE = re.compile(
    r"(?i)(?:^|[^a-z])(?:full_?name|first_?name|last_?name|given_?name|family_?name|middle_?name|surname|"
    r"customer_?name|client_?name|card_?holder(?:_?name)?|account_?holder(?:_?name)?|holder_?name|"
    r"person_?name|contact_?name|beneficiary(?:_?name)?|payee(?:_?name)?|name)(?:$|[^a-z])")
NOT_PERSON_NAME_RE = re.compile(
    r"(?i)merchant|company|business|store|shop|vendor|product|brand|file|host|bank|org|street|city|country|"
    r"state|category|currency|column|table|user|display|domain|server|device|event|job|app|item|service|region|"
    r"branch|mcc|dba|trade|legal_?entity|program|campaign|channel")


@dataclass(frozen=True)
class Recognizer:
    """One kind of personal data: candidates (Java regex), validation and keyword rule.

    ``keyword_rule``: ``none`` (always reported), ``required`` (keyword in context or within
    30 characters), ``card`` (keyword chooses ``CREDIT_CARD_NUMBER`` vs ``..._(NO_KEYWORD)``),
    ``phone`` (a country code, a keyword or a North-American layout such as ``(212) 555-0100``),
    ``name_column`` (the whole value of a person-name column, or after an honorific in text).
    ``number_shaped``: the leak check skips it in columns declared format-preserving.
    """

    label: str
    pattern: str
    keyword_rule: str
    keywords: tuple[str, ...] = ()
    number_shaped: bool = False
    managed: bool = True

    @property
    def placeholder(self) -> str:
        return f"[{self.label}]"

    @property
    def text_keyword_regex(self) -> str:
        return _keyword_regex(self.keywords, in_name=False) if self.keywords else ""

    @property
    def name_keyword_regex(self) -> str:
        return _keyword_regex(self.keywords, in_name=True) if self.keywords else ""


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
PHONE_KEYWORDS = ("cell", "contact", "fax", "fax number", "mobile", "phone", "phone number", "tel", "telephone",
                  "telephone number")
DOB_KEYWORDS = ("bday", "b-day", "birth date", "birthday", "date of birth", "dob", "birthdate", "born")
AWS_SECRET_KEYWORDS = ("aws_secret_access_key", "credentials", "secret access key", "secret key", "set-awscredential")
ABA_KEYWORDS = ("routing", "routing number", "aba", "abartn", "rtn", "transit number", "routing no")

RECOGNIZERS: tuple[Recognizer, ...] = (
    Recognizer("AWS_CREDENTIALS", r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])", "required",
               AWS_SECRET_KEYWORDS),
    Recognizer("AWS_ACCESS_KEY_ID", _B0 + r"(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA)[A-Z0-9]{16}" + _B1,
               "none", managed=False),
    Recognizer("EMAIL_ADDRESS", r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@"
               r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])",
               "none", managed=False),
    Recognizer("IBAN", _B0 + r"[A-Z]{2}\d{2}(?:[ \-]?[A-Z0-9]{4}){2,7}(?:[ \-]?[A-Z0-9]{1,3})?" + _B1, "none",
               number_shaped=True),
    Recognizer("CREDIT_CARD_NUMBER", _B0 + r"\d(?:[ \-]?\d){12,18}" + _B1, "card", CARD_KEYWORDS, number_shaped=True),
    Recognizer("USA_SOCIAL_SECURITY_NUMBER", r"(?<![A-Za-z0-9\-])\d{3}([\- ]?)\d{2}\1\d{4}(?![A-Za-z0-9\-])",
               "required", SSN_KEYWORDS, number_shaped=True),
    Recognizer("PHONE_NUMBER", r"(?<![A-Za-z0-9+])(?:\+\d{1,3}[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?(?:\d[ .\-]?){5,12}\d"
               r"|(?:1[ .\-]?)?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .\-]?)[2-9]\d{2}[ .\-]?\d{4})" + _B1,
               "phone", PHONE_KEYWORDS, number_shaped=True),
    Recognizer("ABA_ROUTING_NUMBER", r"(?<![A-Za-z0-9.,\-])\d{9}(?![A-Za-z0-9]|[.,]\d)", "required", ABA_KEYWORDS,
               number_shaped=True, managed=False),
    Recognizer("BANK_ACCOUNT_NUMBER", r"(?<![A-Za-z0-9.,\-])\d{9,17}(?![A-Za-z0-9]|[.,]\d)", "required",
               BANK_KEYWORDS, number_shaped=True),
    Recognizer("IPV4_ADDRESS", r"(?<![A-Za-z0-9.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
               r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![A-Za-z0-9]|\.\d)", "none", managed=False),
    Recognizer("DATE_OF_BIRTH", _B0 + r"(?:(?:19|20)\d{2}([\-/. ])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])"
               r"|(?:0?[1-9]|[12]\d|3[01])([\-/. ])(?:0?[1-9]|1[0-2])\2(?:19|20)\d{2}"
               r"|(?:0?[1-9]|1[0-2])([\-/. ])(?:0?[1-9]|[12]\d|3[01])\3(?:19|20)\d{2}"
               r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6}\.? \d{1,2},? (?:19|20)\d{2}"
               r"|\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6}\.? (?:19|20)\d{2})" + _B1,
               "required", DOB_KEYWORDS),
    Recognizer("ADDRESS", _B0 + r"\d{1,6}(?: [NSEW]\.?)? (?:\p{Lu}[\p{L}.'\-]* ){1,4}"
               r"(?i:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|ter|"
               r"parkway|pkwy|highway|hwy|circle|cir|square|sq|trail|trl)\.?"
               r"(?:,? (?i:apt|suite|ste|unit|#) ?[A-Za-z0-9\-]+)?,? (?:\p{Lu}[\p{L}.'\-]* ?){1,3},? "
               rf"(?:{US_STATES}) \d{{5}}(?:-\d{{4}})?" + _B1, "none"),
    Recognizer("NAME", rf"(?<=(?:{_HONORIFIC}|(?i:my name is|name is|named|name:)) ){FULL_NAME}(?![\p{{L}}])",
               "name_column"),
)
_BY_LABEL = {r.label: r for r in RECOGNIZERS}
NAME_BIT = 1 << len(RECOGNIZERS)  # context bit: the column/path holds person names

_CARD_TYPES = ("CREDIT_CARD_NUMBER", "CREDIT_CARD_NUMBER_(NO_KEYWORD)")
MANAGED_TYPES: frozenset[str] = frozenset(
    list(_CARD_TYPES) + [f"{c}_BANK_ACCOUNT_NUMBER" for c in IBAN_MACIE_COUNTRIES.values()]
    + [t for _, t in PHONE_COUNTRY_TYPES]
    + ["USA_SOCIAL_SECURITY_NUMBER", "BANK_ACCOUNT_NUMBER", "DATE_OF_BIRTH", "ADDRESS", "NAME", "AWS_CREDENTIALS"])
CUSTOM_TYPES: frozenset[str] = frozenset({"EMAIL_ADDRESS", "IPV4_ADDRESS", "AWS_ACCESS_KEY_ID", "ABA_ROUTING_NUMBER",
                                          "IBAN", "INTERNATIONAL_PHONE_NUMBER"})


def type_category(type_name: str) -> str:
    """Macie's ``SensitiveDataItemCategory`` of a managed type (``CUSTOM_IDENTIFIER`` otherwise)."""
    if type_name in CUSTOM_TYPES or type_name not in MANAGED_TYPES:
        return "CUSTOM_IDENTIFIER"
    if type_name == "AWS_CREDENTIALS":
        return "CREDENTIALS"
    if type_name.startswith("CREDIT_CARD") or type_name.endswith("BANK_ACCOUNT_NUMBER"):
        return "FINANCIAL_INFORMATION"
    return "PERSONAL_INFORMATION"


# --- validation as Spark expressions -----------------------------------------------------------
# Lookup tables are one string literal each (``str_to_map`` is constant-folded once), which keeps
# the expression tree -- and so Spark's analysis and code generation -- small.

_IBAN_LENGTH_TABLE = ",".join(f"{cc}:{n}" for cc, n in IBAN_LENGTHS.items())
_IBAN_TYPE_TABLE = ",".join(f"{cc}:{name}_BANK_ACCOUNT_NUMBER" for cc, name in IBAN_MACIE_COUNTRIES.items())
_PHONE_TYPE_TABLE = ",".join(f"{code}:{name}" for code, name in PHONE_COUNTRY_TYPES)
_CARD_TEST_TABLE = "," + ",".join(CARD_TEST_NUMBERS) + ","
_AWS_EXAMPLE_TABLE = " " + " ".join(AWS_EXAMPLE_SECRETS) + " "


def _F():
    from pyspark.sql import functions as F

    return F


def _let(expr: Any, body: Callable[[Any], Any]) -> Any:
    """Evaluate ``expr`` once and hand it to ``body`` as a lambda variable (a Spark "let")."""
    F = _F()
    return F.element_at(F.transform(F.array(expr), body), 1)


def _table(text: str) -> Any:
    F = _F()
    return F.str_to_map(F.lit(text), F.lit(","), F.lit(":"))


def luhn_valid(digits: Any) -> Any:
    """True when a string of digits passes the Luhn check (null stays null)."""
    F = _F()
    # every second digit from the right is doubled and its digits summed: a lookup, no nested let
    doubled = F.array(*[F.lit(v) for v in (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)])
    terms = F.transform(F.reverse(F.split(digits, "")), lambda c, i: F.when(
        i % 2 == 1, F.element_at(doubled, c.cast("int") + 1)).otherwise(c.cast("int")))
    return F.aggregate(terms, F.lit(0), lambda acc, x: acc + x) % 10 == 0


def iban_valid(iban: Any) -> Any:
    """ISO 13616: known country, its length, and mod 97 == 1 (separators allowed; null stays null).

    The rearranged IBAN (BBAN + country + check digits, letters as 10..35) is folded one
    character chunk at a time -- ``(acc * 10^len(chunk) + chunk) % 97`` -- so no big integers.
    """
    F = _F()

    def check(s: Any) -> Any:
        rearranged = F.concat(F.substring(s, 5, 64), F.substring(s, 1, 4))
        # letters are 10..35 (two digits), digits themselves; anything else makes the result null
        mod = F.aggregate(F.split(rearranged, ""), F.lit(0).cast("long"), lambda acc, c: F.when(
            F.ascii(c).between(65, 90), (acc * 100 + F.ascii(c) - 55) % 97).when(
            F.ascii(c).between(48, 57), (acc * 10 + F.ascii(c) - 48) % 97))
        expected = F.element_at(_table(_IBAN_LENGTH_TABLE), F.substring(s, 1, 2)).cast("int")
        return F.coalesce(F.length(s) == expected, F.lit(False)) & (mod == 1)

    return _let(F.upper(F.regexp_replace(iban, r"[ \-]", "")), check)


def aba_checksum_valid(digits: Any) -> Any:
    """US ABA routing number: known Federal Reserve prefix and 3-7-1 weighted checksum."""
    F = _F()
    weights = F.array(*[F.lit(w) for w in (3, 7, 1, 3, 7, 1, 3, 7, 1)])
    total = F.aggregate(F.zip_with(F.split(digits, ""), weights, lambda c, w: c.cast("int") * w), F.lit(0),
                        lambda acc, x: acc + x)
    known = digits.rlike("^(?:0\\d|1[0-2]|2[1-9]|3[0-2]|6[1-9]|7[0-2]|80)\\d{7}$")
    return known & (total % 10 == 0)


def _ssn_valid(m: Any) -> Any:
    # area 000, 666 and 900-999, group 00 and serial 0000 are never issued
    return _F().regexp_replace(m, r"[\- ]", "").rlike(r"^(?!000|666|9)\d{3}(?!00)\d{2}(?!0000)\d{4}$")


def _card_valid(m: Any) -> Any:
    F = _F()
    return _let(F.regexp_replace(m, r"[ \-]", ""), lambda d: d.rlike(CARD_BRANDS) & luhn_valid(d) & ~F.lit(
        _CARD_TEST_TABLE).contains(F.concat(F.lit(","), d, F.lit(","))))


def _phone_valid(m: Any) -> Any:
    F = _F()
    return _let(F.regexp_replace(m, r"[^0-9]", ""), lambda d: F.when(
        m.startswith("+") & d.startswith("1"), F.length(d) == 11).when(
        m.startswith("+"), F.length(d).between(8, 15)).otherwise(d.rlike(r"^1?[2-9]\d{2}[2-9]\d{6}$")))


def _phone_type(m: Any) -> Any:
    F = _F()
    code = F.regexp_extract(m, r"^\+(1|44|33|49|39|34|55)", 1)
    return F.when(m.startswith("+"), F.coalesce(F.element_at(_table(_PHONE_TYPE_TABLE), code),
                                                F.lit("INTERNATIONAL_PHONE_NUMBER"))).otherwise(F.lit("PHONE_NUMBER"))


_PHONE_LAYOUT = r"^(?:1[ .\-]?)?(?:\(\d{3}\) ?\d{3}[\-.]\d{4}|\d{3}([\-.])\d{3}\1\d{4})$"


def _iban_type(m: Any) -> Any:
    F = _F()
    return F.coalesce(F.element_at(_table(_IBAN_TYPE_TABLE), F.substring(m, 1, 2)), F.lit("IBAN"))


def _validator(label: str) -> Callable[[Any], Any] | None:
    F = _F()
    if label == "CREDIT_CARD_NUMBER":
        return _card_valid
    if label == "IBAN":
        return iban_valid
    if label == "USA_SOCIAL_SECURITY_NUMBER":
        return _ssn_valid
    if label == "PHONE_NUMBER":
        return _phone_valid
    if label == "ABA_ROUTING_NUMBER":
        return aba_checksum_valid
    if label == "BANK_ACCOUNT_NUMBER":
        return lambda m: m.rlike("[1-9]")  # not all zeroes
    if label == "AWS_CREDENTIALS":
        return lambda m: m.rlike("[A-Z]") & m.rlike("[a-z]") & m.rlike("[0-9]") & ~F.lit(_AWS_EXAMPLE_TABLE).contains(m)
    if label == "AWS_ACCESS_KEY_ID":
        return lambda m: ~m.endswith("EXAMPLE")
    if label == "EMAIL_ADDRESS":
        return lambda m: ~m.rlike(r"\.\.|\.@")
    if label == "NAME":
        return lambda m: ~m.rlike(_NOT_A_PERSON)
    return None


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
    return flags


# --- the recogniser expressions ---------------------------------------------------------------

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


def _extract(value: Any, pattern: str, valid: Callable[[Any], Any] | None) -> Any:
    F = _F()
    found = F.regexp_extract_all(value, F.lit(pattern), 0)
    return F.filter(found, valid) if valid is not None else found


def _typed(matches: Any, rec: Recognizer, type_of: Callable[[Any], Any]) -> Any:
    F = _F()
    return F.transform(matches, lambda m: F.struct(type_of(m).alias("type"), F.lit(rec.label).alias("label"),
                                                   m.alias("text")))


# Recognisers whose every match is made of digits and separators (or, for birth dates and
# addresses, starts or ends with such a digit run) between non-alphanumeric boundaries. They form
# one contiguous block of RECOGNIZERS, guarded together by one cheap test (see _NUMBER_RUN).
NUMBER_FAMILY = ("CREDIT_CARD_NUMBER", "USA_SOCIAL_SECURITY_NUMBER", "PHONE_NUMBER", "ABA_ROUTING_NUMBER",
                 "BANK_ACCOUNT_NUMBER", "IPV4_ADDRESS", "DATE_OF_BIRTH", "ADDRESS")
# A maximal run of digits with a non-alphanumeric character (or the edge) on both sides. Every
# match of a NUMBER_FAMILY recogniser contains one: the matches start after a non-alphanumeric
# boundary, end before one, and hold only digits, separators, "+" and parentheses (birth dates
# with a month name and addresses still hold a year / ZIP code delimited by spaces). A 64-hex
# token or base64 text almost never has one, so the family's eight regexes are skipped there.
_NUMBER_RUN = r"(?<![A-Za-z0-9])[0-9]+(?![A-Za-z0-9])"
_MIN_DIGITS = {"AWS_CREDENTIALS": 1, "IBAN": 6, "CREDIT_CARD_NUMBER": 13, "USA_SOCIAL_SECURITY_NUMBER": 9,
               "ABA_ROUTING_NUMBER": 9, "BANK_ACCOUNT_NUMBER": 9, "PHONE_NUMBER": 8, "IPV4_ADDRESS": 4,
               "DATE_OF_BIRTH": 5, "ADDRESS": 6}


# Shapes every candidate of a recogniser contains (simple regexes without look-arounds, derived
# from the candidate patterns above; test_guards_never_change_what_is_found compares the guarded
# and unguarded detector on the labelled corpus). A scan for the shape is cheaper than extracting candidates, and most cells fail it.
GUARD_SHAPES: Mapping[str, str] = {
    "CREDIT_CARD_NUMBER": r"[0-9](?:[ -]?[0-9]){12}",
    "USA_SOCIAL_SECURITY_NUMBER": r"[0-9]{3}[- ]?[0-9]{2}[- ]?[0-9]{4}",
    "PHONE_NUMBER": r"\+[0-9]|[0-9]{3}(?:\) ?|[ .-]?)[0-9]{3}[ .-]?[0-9]{4}",
    "ABA_ROUTING_NUMBER": r"[0-9]{9}",
    "BANK_ACCOUNT_NUMBER": r"[0-9]{9}",
    "IPV4_ADDRESS": r"[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]",
    "DATE_OF_BIRTH": r"[0-9][ ./-][0-9]{1,2}[ ./-][0-9]|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)",
    "ADDRESS": r" [A-Z]{2},? [0-9]{5}",
    "IBAN": r"[A-Z]{2}[0-9]{2}",
    "AWS_ACCESS_KEY_ID": "A(?:KIA|SIA|BIA|CCA|GPA|IDA|IPA|NPA|NVA|PKA|ROA)",
}


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
    the shared cell features, the digit count or length, then the recogniser's shape
    (``GUARD_SHAPES``). Upper case is needed by every AWS key (the secret key's validation
    requires it), IBAN and US address candidate.
    """
    F = _F()
    label, digits, upper = rec.label, shape["digits"], shape["upper"]
    if label == "AWS_CREDENTIALS":
        return upper & (F.length(value) >= 40) & value.rlike(rec.pattern)
    if label == "EMAIL_ADDRESS":
        return value.contains("@")
    if label == "NAME":
        # in text a name follows an honorific (upper case) or "name" (any case) and a space
        return value.contains(" ") & (upper | value.contains("n") | value.contains("N")) & value.rlike(
            rf"{_HONORIFIC} \p{{Lu}}|(?i:name)")
    if label == "AWS_ACCESS_KEY_ID":
        first = upper & (F.length(value) >= 20)
    elif label == "IBAN":
        first = upper
    elif label == "ADDRESS":
        first = upper & (digits >= _MIN_DIGITS[label])
    elif label in _MIN_DIGITS:
        first = digits >= _MIN_DIGITS[label]
    else:  # pragma: no cover - every recogniser has a guard
        return F.lit(True)
    return first & value.rlike(GUARD_SHAPES[label]) if label in GUARD_SHAPES else first


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
        if mode == "strict" and rec.label == "USA_SOCIAL_SECURITY_NUMBER":
            gate = gate | value.rlike(r"\d{3}[\- ]\d{2}[\- ]\d{4}")
        return gate
    if rec.keyword_rule == "phone":
        return ctx | letters | value.rlike(r"[+(.\-]")
    return None


def _recognizer_matches(value: Any, shape: Mapping[str, Any], rec: Recognizer, index: int, flags: Any,
                        mode: str) -> Any:
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
    found = _extract(value, rec.pattern, _validator(rec.label))

    def text_kw() -> Any:
        return value.rlike(rec.text_keyword_regex)

    def near_raw() -> Any:
        return F.when(text_kw(), F.regexp_extract_all(value, F.lit(_near_pattern(rec)), 0)).otherwise(no_text)

    def constant(type_name: str) -> Callable[[Any], Any]:
        return lambda m: F.lit(type_name)

    if rec.keyword_rule == "none":
        out = _typed(found, rec, _iban_type if rec.label == "IBAN" else constant(rec.label))
    elif rec.keyword_rule == "required":
        def required(f: Any) -> Any:
            near = _let(near_raw(), lambda n: F.filter(f, lambda m: F.array_contains(n, m)))
            if mode == "strict" and rec.label == "USA_SOCIAL_SECURITY_NUMBER":
                # strict: a separated SSN needs no keyword
                near = _let(near, lambda b: F.concat(b, F.filter(f, lambda m: m.rlike(r"^\d{3}([\- ])\d{2}\1\d{4}$")
                                                                 & ~F.array_contains(b, m))))
            return _typed(F.when(ctx | (F.size(f) == 0), f).otherwise(near), rec, constant(rec.label))
        out = _let(found, required)
    elif rec.keyword_rule == "card":
        out = _let(found, lambda f: F.when(F.size(f) == 0, empty).when(ctx, _typed(f, rec, constant(_CARD_TYPES[0])))
                   .otherwise(_let(near_raw(), lambda n: _typed(f, rec, lambda m: F.when(
                       F.array_contains(n, m), F.lit(_CARD_TYPES[0])).otherwise(F.lit(_CARD_TYPES[1]))))))
    elif rec.keyword_rule == "phone":
        out = _let(found, lambda f: _typed(F.when(ctx | (F.size(f) == 0), f).otherwise(_let(near_raw(), lambda n: F.filter(
            f, lambda m: m.startswith("+") | m.rlike(_PHONE_LAYOUT) | F.array_contains(n, m)))), rec, _phone_type))
    elif rec.keyword_rule == "name_column":
        whole = F.trim(value)
        as_column = F.array(F.struct(F.lit("NAME").alias("type"), F.lit(rec.label).alias("label"), whole.alias("text")))
        column_hit = _flag(flags, NAME_BIT) & whole.rlike(rf"^(?:{_HONORIFIC} )?{FULL_NAME}$")
        return F.when(column_hit, as_column).when(guard, _typed(found, rec, constant("NAME"))).otherwise(empty)
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

    for rec in config.recognizers:
        matches = _recognizer_matches(value, shape, rec, RECOGNIZERS.index(rec), flags, config.mode)
        if rec.label in NUMBER_FAMILY:
            family.append(matches)
            family_digits = min(family_digits, _MIN_DIGITS[rec.label])
        else:
            close_family()
            out.append(matches)
    close_family()
    found = F.concat(*out) if len(out) > 1 else out[0]
    return F.when(value.isNull(), F.lit(None).cast(MATCH_TYPE)).otherwise(found)


def redact_pii_spans(col: Any, context: str | None = None) -> Any:
    """Replace every detected span in free text by a typed placeholder such as ``[CREDIT_CARD_NUMBER]``.

    Strict rules (a separated SSN needs no keyword); ``context`` is the column name, whose
    keywords count for the whole value. Null stays null; text without PII is returned unchanged.
    """
    F = _F()
    matches = find_pii(col, context_flags(context), DetectConfig(mode="strict"))
    return F.aggregate(matches, col, lambda acc, m: F.replace(acc, m["text"], F.concat(F.lit("["), m["label"],
                                                                                       F.lit("]"))))


# --- DataFrame level ----------------------------------------------------------------------------

_ATOMIC = ("string", "boolean", "tinyint", "smallint", "int", "bigint", "float", "double", "date", "timestamp",
           "timestamp_ntz")


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


# Types that can never hold a recognised value, and the smallest magnitude a number needs to hold
# one: every recogniser that matches a string of digits alone needs at least 9 of them (SSN,
# routing and bank account numbers; cards 13, bare phone numbers 10). Dates and timestamps read as
# "1984-03-12[ 10:00:00]" and can only be a date of birth (checked over every date 1900-2100 and 2
# million timestamps with every keyword bit set), which needs a keyword in the column/path name.
_NEVER_SCANNED = ("binary", "boolean", "void")
_DATE_TYPES = ("date", "timestamp", "timestamp_ntz")
NUMBER_MIN_MAGNITUDE = 100_000_000
_DOB_BIT = 1 << [r.label for r in RECOGNIZERS].index("DATE_OF_BIRTH")


def scannable(dtype: Any, flags: int) -> bool:
    """Can a value of this Spark type, in a column/path with these context ``flags``, hold PII?"""
    name = dtype.simpleString()
    if name in _NEVER_SCANNED:
        return False
    if name in _DATE_TYPES:
        return bool(flags & _DOB_BIT)
    return True


def _as_text(col: Any, dtype: Any) -> Any:
    """The text the recognisers see for a value of ``dtype`` (null when it cannot hold PII).

    Numbers: only the integral part, and only when it has at least 9 digits
    (``NUMBER_MIN_MAGNITUDE``) -- smaller numbers skip the recognisers as null cells.
    """
    F = _F()
    name = dtype.simpleString()
    if name == "string":
        return col
    if name in _NEVER_SCANNED:
        return F.lit(None).cast("string")
    if name in ("float", "double"):
        # Only the integral part can hold an identifier; fractional digits of a score such as
        # 0.4423456789012345 are not a card number (and pass Luhn one time in ten).
        whole = F.floor(col)
        return F.when(F.isnan(col) | (F.abs(col) == float("inf")), F.lit(None)).when(
            (whole >= NUMBER_MIN_MAGNITUDE) | (whole <= -NUMBER_MIN_MAGNITUDE),
            whole.cast("decimal(38,0)").cast("string"))
    if name in ("tinyint", "smallint"):
        return F.lit(None).cast("string")  # at most 5 digits
    if name in ("int", "bigint") or (name.startswith("decimal") and name.endswith(",0)")):
        return F.when((col >= NUMBER_MIN_MAGNITUDE) | (col <= -NUMBER_MIN_MAGNITUDE), col.cast("string"))
    if name in _ATOMIC or name.startswith("decimal"):
        return col.cast("string")
    return F.to_json(col)


def detect_pii(df: Any, *, record_index: str | None = None, config: DetectConfig | None = None,
               columns: Sequence[str] | None = None) -> Any:
    """Per-cell detections of a DataFrame: one row per (record, column, type) with a count > 0.

    Output columns: ``record_index`` (the given column, else null), ``column_number`` (1-based
    position in ``df``), ``column_name``, ``type``, ``category`` and ``count``. Atomic columns are
    read as text (a card number stored as a long is still found), structs/arrays as JSON. The
    columns are stacked into (column, flags, value) cells so one recogniser expression serves them
    all; values never leave the executors.
    """
    F = _F()
    config = config or DetectConfig()
    wanted = set(columns) if columns is not None else None
    cells = []
    for number, f in enumerate(df.schema.fields, start=1):
        if f.name == record_index or (wanted is not None and f.name not in wanted):
            continue
        flags = context_flags(f.name, format_preserving=f.name in config.format_preserving_columns)
        if not scannable(f.dataType, flags):
            continue  # booleans, binary, dates/timestamps outside a birth-date column
        cells.append(F.struct(F.lit(number).alias("column_number"), F.lit(f.name).alias("column_name"),
                              F.lit(flags).cast("long").alias("flags"),
                              _as_text(F.col(_quoted(f.name)), f.dataType).alias("value")))
    if not any(f.name != record_index and (wanted is None or f.name in wanted) for f in df.schema.fields):
        raise ConfigError("--columns", "no column to scan")
    if not cells:  # nothing that can hold PII: an empty result of the same shape
        cells.append(F.struct(F.lit(0).alias("column_number"), F.lit(None).cast("string").alias("column_name"),
                              F.lit(0).cast("long").alias("flags"), F.lit(None).cast("string").alias("value")))
    idx = F.col(_quoted(record_index)).cast("long") if record_index else F.lit(None).cast("long")
    # Expressions are computed in projections and only column references are exploded (see
    # _matches); the array of cells is never empty, so explode_outer gives the same rows.
    stacked = (df.select(idx.alias("record_index"), F.array(*cells).alias("_cells"))
               .select("record_index", F.explode_outer("_cells").alias("c"))
               .select("record_index", "c.column_number", "c.column_name", "c.flags", "c.value")
               .where(F.col("value").isNotNull()))
    per_match = _matches(stacked, config).select("record_index", "column_number", "column_name", "m")
    counted = per_match.groupBy("record_index", "column_number", "column_name", F.col("m.type").alias("type")).agg(
        F.count(F.lit(1)).cast("int").alias("count"))
    return counted.select("record_index", "column_number", "column_name", "type",
                          _category_expr(F.col("type")).alias("category"), "count")


def _category_expr(type_col: Any) -> Any:
    F = _F()
    known = sorted(MANAGED_TYPES | CUSTOM_TYPES)
    mapping = F.create_map(*[x for t in known for x in (F.lit(t), F.lit(type_category(t)))])
    return F.coalesce(F.element_at(mapping, type_col), F.lit("CUSTOM_IDENTIFIER"))


# --- objects, formats and Macie locations ---------------------------------------------------------
# Row numbers must be Macie's: a CSV row is the physical line number (1-based, the header is row
# 1); a JSON Lines record index is the 0-based line. Spark reads a text file in splits, so each
# line gets ``(file, split start, monotonically_increasing_id)``; one aggregation per split gives
# its line count and first id, and the prefix sums turn that into exact line numbers.

FORMATS = ("csv", "tsv", "jsonl", "json", "parquet", "avro")
MIME_TYPES = {"csv": "text/csv", "tsv": "text/tab-separated-values", "jsonl": "application/json",
              "json": "application/json", "parquet": "application/parquet", "avro": "application/avro"}
_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json?",
               ".parquet": "parquet", ".avro": "avro"}
HEAD_BYTES = 65536
_HEADER_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9 _.#()/\-]{0,127}$")
_FULL_NAME_PY = re.compile(r"^[A-Z][a-z]+(?: [A-Z][a-z]+){1,3}$")


def read_head(loc: Any, session: Any = None, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of an object (bounded; used for headers and format sniffing only)."""
    from . import io as sio

    if loc.is_s3:
        resp = sio._s3_client(session).get_object(Bucket=loc.bucket, Key=loc.key, Range=f"bytes=0-{size - 1}")
        return resp["Body"].read()
    with open(loc.key, "rb") as fh:
        return fh.read(size)


def sniff_json(head: bytes) -> str:
    """``json`` (one document) or ``jsonl`` (one object per line) from the first bytes."""
    import json

    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        return "json"
    first = text.split("\n", 1)[0].strip()
    try:
        return "jsonl" if isinstance(json.loads(first), dict) else "json"
    except ValueError:
        return "json"


def object_format(loc: Any, session: Any = None, override: str | None = None) -> str | None:
    """The format of an object by extension (``.json`` sniffed), or None when unsupported."""
    if override:
        if override not in FORMATS:
            raise ConfigError("--input_format", f"must be one of {', '.join(FORMATS)}, got {override!r}")
        return override
    name = loc.key.rsplit("/", 1)[-1].lower()
    if name.endswith(".snappy.parquet"):
        return "parquet"
    for ext, fmt in _EXTENSIONS.items():
        if name.endswith(ext):
            return sniff_json(read_head(loc, session)) if fmt == "json?" else fmt
    return None


def csv_header_fields(loc: Any, sep: str, session: Any = None) -> list[str]:
    """Fields of the first line of a CSV/TSV object (a bounded driver read of its first bytes)."""
    import csv

    first = read_head(loc, session).decode("utf-8", "replace").lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    return next(csv.reader([first], delimiter=sep), []) if first else []


def header_like(fields: Sequence[str]) -> bool:
    """Does a first line look like column names (non-empty, unique identifiers, not person names)?"""
    if not fields or len(set(fields)) != len(fields):
        return False
    if not all(_HEADER_FIELD.match(f.strip()) for f in fields):
        return False
    return not all(_FULL_NAME_PY.match(f.strip()) for f in fields)


def spark_path_key(path: str) -> str:
    """Normalise a Spark ``_metadata.file_path`` (``file:/x``, ``s3://b/k``) to compare with listings."""
    from urllib.parse import unquote

    if path.startswith("file:"):
        path = path[len("file:"):]
        while path.startswith("//"):
            path = path[1:]
    elif path.startswith("s3a://") or path.startswith("s3n://"):
        path = "s3://" + path.split("://", 1)[1]
    return unquote(path)


def indexed_lines(spark: Any, paths: Sequence[str]) -> tuple[Any, list[dict]]:
    """Lines of text files with their 1-based line numbers, and per-split statistics.

    Returns ``(df, blocks)``: ``df`` has ``value`` (the line without ``\\n``; a ``\\r`` of a CRLF
    file stays), ``_file``, ``_line`` and ``_pid`` (the Spark partition, which the text writer
    keeps); ``blocks`` (one small dict per file split, collected: bounded by the number of splits)
    carries ``file``, ``pid``, ``lines``, ``first_line`` and ``odd_quote_lines`` (lines with an odd
    number of double quotes: a CSV record spanning lines).
    """
    F = _F()
    raw = spark.read.option("lineSep", "\n").text(list(paths)).select(
        "value", F.col("_metadata.file_path").alias("_file"), F.col("_metadata.file_block_start").alias("_blk"),
        F.monotonically_increasing_id().alias("_mid"), F.spark_partition_id().alias("_pid"))
    # parity of the number of double quotes (split is the cheapest way to count them in Spark)
    odd = ((F.size(F.split("value", '"')) - 1) % 2).cast("long")
    rows = raw.groupBy("_file", "_blk", "_pid").agg(
        F.count(F.lit(1)).alias("n"), F.min("_mid").alias("first_mid"), F.sum(odd).alias("odd")).collect()
    blocks: list[dict] = []
    running: dict[str, int] = {}
    for r in sorted(rows, key=lambda r: (r["_file"], r["_blk"])):
        first_line = running.get(r["_file"], 0) + 1
        running[r["_file"]] = first_line - 1 + int(r["n"])
        blocks.append({"file": r["_file"], "blk": int(r["_blk"]), "pid": int(r["_pid"]), "lines": int(r["n"]),
                       "first_line": first_line, "first_mid": int(r["first_mid"]), "odd_quote_lines": int(r["odd"] or 0)})
    if not blocks:
        return raw.select("value", "_file", F.lit(0).cast("long").alias("_line"), "_pid").limit(0), blocks
    offsets = spark.createDataFrame([(b["file"], b["blk"], b["first_line"] - b["first_mid"]) for b in blocks],
                                    "_file string, _blk long, _delta long")
    df = raw.join(F.broadcast(offsets), ["_file", "_blk"]).select(
        "value", "_file", (F.col("_mid") + F.col("_delta")).alias("_line"), "_pid")
    return df, blocks


def indexed_rows(df: Any) -> tuple[Any, list[dict]]:
    """Rows of a file-based DataFrame with a 0-based per-file record index ``_record`` (any format;
    the same split statistics as :func:`indexed_lines`)."""
    F = _F()
    spark = df.sparkSession
    raw = df.select("*", F.col("_metadata.file_path").alias("_file"), F.col("_metadata.file_block_start").alias("_blk"),
                    F.monotonically_increasing_id().alias("_mid"))
    rows = raw.groupBy("_file", "_blk").agg(F.count(F.lit(1)).alias("n"), F.min("_mid").alias("first_mid")).collect()
    blocks, running = [], {}
    for r in sorted(rows, key=lambda r: (r["_file"], r["_blk"])):
        first = running.get(r["_file"], 0)
        running[r["_file"]] = first + int(r["n"])
        blocks.append({"file": r["_file"], "blk": int(r["_blk"]), "lines": int(r["n"]), "first_line": first,
                       "first_mid": int(r["first_mid"])})
    if not blocks:
        return raw.drop("_blk", "_mid").withColumn("_record", F.lit(0).cast("long")).limit(0), blocks
    offsets = spark.createDataFrame([(b["file"], b["blk"], b["first_line"] - b["first_mid"]) for b in blocks],
                                    "_file string, _blk long, _delta long")
    out = raw.join(F.broadcast(offsets), ["_file", "_blk"])
    return out.withColumn("_record", F.col("_mid") + F.col("_delta")).drop("_blk", "_mid", "_delta"), blocks


def csv_fields(line: Any, sep: str = ",") -> Any:
    """The raw fields of a CSV/TSV line (quotes kept, so rejoining them gives the line back).

    A field is either a quoted string (``"a,b"``, ``""`` escapes a quote) followed by the
    separator or the end, or anything up to the next separator. A trailing ``\\r`` is excluded.
    """
    F = _F()
    s = re.escape(sep) if sep != "\t" else "\\t"
    pattern = f'(?:^|{s})("(?:[^"]|"")*"(?={s}|$)|[^{s}]*)'
    return F.regexp_extract_all(F.regexp_replace(line, "\r$", ""), F.lit(pattern), 1)


def csv_unquote(field: Any) -> Any:
    '''The value of a raw CSV field: a quoted field loses its quotes and "" becomes "; others stay.'''
    F = _F()
    # the regex only for fields that start with a quote (most do not)
    quoted = field.startswith('"') & field.rlike('^"(?s:.*)"$') & (F.length(field) >= 2)
    inner = F.regexp_replace(field.substr(F.lit(2), F.length(field) - 2), '""', '"')
    return F.when(quoted, inner).otherwise(field)


def _path_segment(name: str) -> str:
    from .macie import format_json_path

    return format_json_path([("field", name)])[1:]


def json_leaves(col: Any, dtype: Any, path: Any, names: tuple[str, ...] = (), *,
                format_preserving: frozenset[str] = frozenset(), depth: int = 0) -> list[Any]:
    """``array<struct<path, value, flags>>`` columns for every leaf value below ``col``.

    ``path`` is a string Column (``$.a.b[2]``: array indexes are filled in per row); ``flags``
    come from the names of all path elements (Macie: a keyword in any element counts).
    """
    from pyspark.sql.types import ArrayType, BinaryType, StructType

    F = _F()
    empty = F.array().cast("array<struct<path:string,value:string,flags:long>>")
    if isinstance(dtype, StructType) and depth < 10:
        out = []
        for f in dtype.fields:
            out += json_leaves(col.getField(f.name), f.dataType, F.concat(path, F.lit(_path_segment(f.name))),
                               names + (f.name,), format_preserving=format_preserving, depth=depth + 1)
        return out
    if isinstance(dtype, ArrayType) and depth < 10:
        def element(x: Any, i: Any) -> Any:
            inner = json_leaves(x, dtype.elementType, F.concat(path, F.lit("["), i.cast("string"), F.lit("]")), names,
                                format_preserving=format_preserving, depth=depth + 1)
            return F.concat(*inner) if inner else empty
        return [F.coalesce(F.flatten(F.transform(col, element)), empty)]
    if isinstance(dtype, BinaryType):
        return []
    flags = context_flags(names, format_preserving=bool(names) and names[0] in format_preserving)
    if not scannable(dtype, flags):
        return []
    return [F.array(F.struct(path.alias("path"), _as_text(col, dtype).alias("value"),
                             F.lit(flags).cast("long").alias("flags")))]


def _coverage_key(path: Any) -> Any:
    """A JSON path without array indexes: the "column" of a record-based occurrence."""
    return _F().regexp_replace(path, r"\[\d+\]", "[*]")


DETECTION_COLUMNS = ("_file", "kind", "idx", "col", "col_name", "json_path", "start_column", "type", "cov")


def _matches(cells: Any, config: DetectConfig) -> Any:
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


@dataclass
class ObjectScan:
    """What the detector learnt about one object (no values)."""

    info: Any
    key: str
    fmt: str | None
    status: str = "COMPLETE"
    reason: str | None = None
    records: int = 0
    detections: list = field(default_factory=list)
    etag: str | None = None
    version_id: str | None = None


def _scan_csv(spark: Any, scans: list[ObjectScan], sep: str, config: DetectConfig, session: Any) -> tuple[Any, dict]:
    F = _F()
    by_path = {s.info.location.spark_path(): s for s in scans}
    lines, blocks = indexed_lines(spark, list(by_path))
    per_file: dict[str, dict] = {}
    for b in blocks:
        d = per_file.setdefault(b["file"], {"lines": 0, "odd": 0})
        d["lines"] += b["lines"]
        d["odd"] += b["odd_quote_lines"]
    ctx_rows = []
    key_of = {spark_path_key(p): s for p, s in by_path.items()}
    headers: dict[str, bool] = {}
    for spark_file, stats in per_file.items():
        scan = key_of.get(spark_path_key(spark_file))
        if scan is None:
            continue
        fields = csv_header_fields(scan.info.location, sep, session) if stats["lines"] else []
        has_header = config.header == "true" or (config.header == "auto" and header_like([f.strip() for f in fields]))
        headers[spark_file] = has_header
        scan.records = stats["lines"] - (1 if has_header and stats["lines"] else 0)
        if stats["odd"]:
            scan.status, scan.reason = "SKIPPED", "UNABLE_TO_PARSE_FILE"  # a record spans lines
        for number, name in enumerate(fields if has_header else [], start=1):
            ctx_rows.append((spark_file, number, name.strip(),
                             context_flags(name.strip(), format_preserving=name.strip() in config.format_preserving_columns)))
    ctx = spark.createDataFrame(ctx_rows or [("", 0, None, 0)], "_file string, col int, col_name string, flags long")
    header_files = [f for f, h in headers.items() if h]
    is_header = ((F.col("_line") == 1) & F.col("_file").isin(header_files)) if header_files else F.lit(False)
    # fields are split in a projection and the column exploded (a generator's argument is not
    # code-generated); a line always has at least one field, so posexplode_outer gives the same
    # rows without the inferred size filter that would split every line twice
    cells = (lines.select("_file", "_line", is_header.alias("is_header"),
                          F.when(is_header, F.col("value")).alias("_whole"), csv_fields(F.col("value"), sep).alias("_fields"))
             .select("_file", "_line", "is_header", "_whole", F.posexplode_outer("_fields").alias("pos", "raw"))
             .select("_file", "_line", "is_header", (F.col("pos") + 1).alias("col"),
                     csv_unquote(F.col("raw")).alias("value"), "_whole"))
    cells = cells.join(F.broadcast(ctx), ["_file", "col"], "left").select(
        "_file", "_line", "is_header", "col", "col_name", "value", "_whole",
        F.when(F.col("is_header"), F.lit(0)).otherwise(F.coalesce("flags", F.lit(0))).cast("long").alias("flags"))
    found = _matches(cells, config)
    det = found.select(
        "_file", F.when(F.col("is_header"), F.lit("lineRanges")).otherwise(F.lit("cells")).alias("kind"),
        F.col("_line").alias("idx"), F.col("col").cast("int").alias("col"),
        F.when(F.col("is_header"), F.lit(None)).otherwise(F.col("col_name")).alias("col_name"),
        F.lit(None).cast("string").alias("json_path"),
        F.when(F.col("is_header"), F.greatest(F.position(F.col("m.text"), F.col("_whole")), F.lit(1)))
        .cast("int").alias("start_column"),
        F.col("m.type").alias("type"), F.col("col").cast("string").alias("cov"))
    return det, {k: v for k, v in by_path.items()}


def _scan_jsonl(spark: Any, scans: list[ObjectScan], config: DetectConfig) -> Any:
    F = _F()
    paths = [s.info.location.spark_path() for s in scans]
    schema = spark.read.json(paths).schema
    from pyspark.sql.types import StructType

    schema = StructType([f for f in schema.fields if f.name != "_corrupt_record"])
    lines, blocks = indexed_lines(spark, paths)
    per_file: dict[str, int] = {}
    for b in blocks:
        per_file[spark_path_key(b["file"])] = per_file.get(spark_path_key(b["file"]), 0) + b["lines"]
    for s in scans:
        s.records = per_file.get(spark_path_key(s.info.location.spark_path()), 0)
    valid = F.json_object_keys("value").isNotNull()
    parsed = lines.select("_file", "_line", "value", valid.alias("valid"),
                          F.from_json("value", schema).alias("rec"))
    leaves = json_leaves(F.col("rec"), schema, F.lit("$"), format_preserving=config.format_preserving_columns)
    empty = F.array().cast("array<struct<path:string,value:string,flags:long>>")
    as_text = F.array(F.struct(F.lit(None).cast("string").alias("path"), F.col("value").alias("value"),
                               F.lit(0).cast("long").alias("flags")))
    cells = parsed.select("_file", "_line", "valid", F.col("value").alias("_whole"), F.explode(
        F.when(F.col("valid"), F.concat(*leaves) if leaves else empty).otherwise(as_text)).alias("c")).select(
        "_file", "_line", "valid", "_whole", F.col("c.path").alias("path"), F.col("c.value").alias("value"),
        F.col("c.flags").alias("flags"))
    found = _matches(cells, config)
    return found.select(
        "_file", F.when(F.col("valid"), F.lit("records")).otherwise(F.lit("lineRanges")).alias("kind"),
        F.when(F.col("valid"), F.col("_line") - 1).otherwise(F.col("_line")).alias("idx"),
        F.lit(None).cast("int").alias("col"), F.lit(None).cast("string").alias("col_name"),
        F.col("path").alias("json_path"),
        F.when(F.col("valid"), F.lit(None)).otherwise(F.greatest(F.position(F.col("m.text"), F.col("_whole")), F.lit(1)))
        .cast("int").alias("start_column"),
        F.col("m.type").alias("type"), F.coalesce(_coverage_key(F.col("path")), F.lit("$")).alias("cov"))


def _scan_records(spark: Any, scans: list[ObjectScan], fmt: str, config: DetectConfig) -> Any:
    """Parquet (``_metadata.row_index``) and Avro (split statistics) records."""
    F = _F()
    from pyspark.sql.types import StructType

    paths = [s.info.location.spark_path() for s in scans]
    if fmt == "parquet":
        data = spark.read.option("mergeSchema", "true").parquet(*paths)
        schema = data.schema
        df = data.select(F.struct(*[F.col(_quoted(f.name)) for f in schema.fields]).alias("rec"),
                         F.col("_metadata.file_path").alias("_file"), F.col("_metadata.row_index").alias("_record"))
    else:
        data = spark.read.format("avro").load(paths)
        schema = data.schema
        indexed, _ = indexed_rows(data)
        df = indexed.select(F.struct(*[F.col(_quoted(f.name)) for f in schema.fields]).alias("rec"), "_file", "_record")
    counts = {spark_path_key(r["_file"]): int(r["n"]) for r in
              df.groupBy("_file").agg(F.count(F.lit(1)).alias("n")).collect()}  # one row per file
    for s in scans:
        s.records = counts.get(spark_path_key(s.info.location.spark_path()), 0)
    leaves = json_leaves(F.col("rec"), StructType(schema.fields), F.lit("$"),
                         format_preserving=config.format_preserving_columns)
    cells = df.select("_file", "_record", F.explode(F.concat(*leaves)).alias("c")).select(
        "_file", "_record", F.col("c.path").alias("path"), F.col("c.value").alias("value"), F.col("c.flags").alias("flags"))
    found = _matches(cells, config)
    return found.select("_file", F.lit("records").alias("kind"), F.col("_record").alias("idx"),
                        F.lit(None).cast("int").alias("col"), F.lit(None).cast("string").alias("col_name"),
                        F.col("path").alias("json_path"), F.lit(None).cast("int").alias("start_column"),
                        F.col("m.type").alias("type"), _coverage_key(F.col("path")).alias("cov"))


def _scan_json_docs(spark: Any, scans: list[ObjectScan], config: DetectConfig, session: Any) -> Any | None:
    F = _F()
    from pyspark.sql.types import ArrayType

    dets = []
    for root in ("[", "{"):
        group = [s for s in scans if read_head(s.info.location, session, 4096).decode("utf-8", "replace")
                 .lstrip("\ufeff \t\r\n").startswith(root)]
        if not group:
            continue
        paths = [s.info.location.spark_path() for s in group]
        element = spark.read.option("multiLine", "true").json(paths).schema
        from pyspark.sql.types import StructType

        element = StructType([f for f in element.fields if f.name != "_corrupt_record"])
        schema = ArrayType(element) if root == "[" else element
        docs = spark.read.text(paths, wholetext=True).select(
            F.col("_metadata.file_path").alias("_file"), F.from_json("value", schema).alias("doc"))
        bad = {spark_path_key(r["_file"]) for r in docs.where(F.col("doc").isNull()).select("_file").collect()}
        for s in group:
            s.records = 1
            if spark_path_key(s.info.location.spark_path()) in bad:
                s.status, s.reason = "SKIPPED", "UNABLE_TO_PARSE_FILE"
        leaves = json_leaves(F.col("doc"), schema, F.lit("$"), format_preserving=config.format_preserving_columns)
        if not leaves:
            continue
        cells = docs.where(F.col("doc").isNotNull()).select("_file", F.explode(F.concat(*leaves)).alias("c")).select(
            "_file", F.col("c.path").alias("path"), F.col("c.value").alias("value"), F.col("c.flags").alias("flags"))
        found = _matches(cells, config)
        dets.append(found.select("_file", F.lit("records").alias("kind"), F.lit(0).cast("long").alias("idx"),
                                 F.lit(None).cast("int").alias("col"), F.lit(None).cast("string").alias("col_name"),
                                 F.col("path").alias("json_path"), F.lit(None).cast("int").alias("start_column"),
                                 F.col("m.type").alias("type"), _coverage_key(F.col("path")).alias("cov")))
    if not dets:
        return None
    out = dets[0]
    for d in dets[1:]:
        out = out.unionByName(d)
    return out


def _avro_available(spark: Any) -> bool:
    try:
        spark._jvm.java.lang.Class.forName("org.apache.spark.sql.avro.AvroFileFormat")
        return True
    except Exception:  # noqa: BLE001 - py4j wraps ClassNotFoundException
        return False


def _occurrence_quotas(totals: dict[str, int], limit: int) -> dict[str, int]:
    """Split ``limit`` listed occurrences over coverage keys round-robin, so every column with a
    detection is listed at least once (then masking can widen a capped detection to the right
    columns)."""
    quotas = {k: 0 for k in totals}
    left = limit
    keys = sorted(totals)
    while left > 0:
        progressed = False
        for k in keys:
            if left and quotas[k] < totals[k]:
                quotas[k] += 1
                left -= 1
                progressed = True
        if not progressed:
            break
    return quotas


def _build_detections(spark: Any, det: Any, scans_by_file: dict[str, ObjectScan], config: DetectConfig) -> dict:
    """Totals per type/column and the listed occurrences, attached to each ObjectScan."""
    F = _F()
    from pyspark.sql import Window

    from .macie import Detection, Occurrence

    totals_rows = det.groupBy("_file", "type", "cov", "col_name").agg(F.count(F.lit(1)).alias("n")).collect()
    totals: dict[tuple[str, str], dict[str, int]] = {}
    by_column: dict[str, dict[str, int]] = {}
    for r in totals_rows:
        scan = scans_by_file.get(spark_path_key(r["_file"]))
        if scan is None or scan.status == "SKIPPED":
            continue
        totals.setdefault((r["_file"], r["type"]), {})
        totals[(r["_file"], r["type"])][r["cov"]] = totals[(r["_file"], r["type"])].get(r["cov"], 0) + int(r["n"])
        column = r["col_name"] or (f"column {r['cov']}" if r["cov"] and r["cov"].isdigit() else r["cov"])
        by_column.setdefault(r["type"], {})
        by_column[r["type"]][column] = by_column[r["type"]].get(column, 0) + int(r["n"])
    quota_rows = [(f, t, cov, q) for (f, t), covs in totals.items()
                  for cov, q in _occurrence_quotas(covs, config.max_occurrences).items() if q > 0]
    listed: dict[tuple[str, str], list] = {}
    if quota_rows:
        quotas = spark.createDataFrame(quota_rows, "_file string, type string, cov string, quota int")
        w = Window.partitionBy("_file", "type", "cov").orderBy("idx", "col", "json_path", "start_column")
        # quota <= max_occurrences: the literal bound lets Spark keep only the first rows of each
        # group before sorting (window group limit) instead of sorting every detection
        chosen = (det.withColumn("rk", F.row_number().over(w)).where(F.col("rk") <= config.max_occurrences)
                  .join(F.broadcast(quotas), ["_file", "type", "cov"])
                  .where(F.col("rk") <= F.col("quota")).drop("rk", "quota"))
        for r in chosen.collect():  # bounded: at most max_occurrences per object and type; locations only
            listed.setdefault((r["_file"], r["type"]), []).append(r)
    for (spark_file, type_name), covs in totals.items():
        scan = scans_by_file[spark_path_key(spark_file)]
        occ = []
        for r in sorted(listed.get((spark_file, type_name), []),
                        key=lambda r: (r["idx"], r["col"] or 0, r["json_path"] or "", r["start_column"] or 0)):
            if r["kind"] == "cells":
                occ.append(Occurrence("cells", row=int(r["idx"]), column=int(r["col"]), column_name=r["col_name"]))
            elif r["kind"] == "records":
                occ.append(Occurrence("records", record_index=int(r["idx"]), json_path=r["json_path"]))
            else:
                occ.append(Occurrence("lineRanges", start=int(r["idx"]), end=int(r["idx"]),
                                      start_column=int(r["start_column"] or 1)))
        category = type_category(type_name)
        scan.detections.append(Detection(type_name, sum(covs.values()), tuple(occ), category=category,
                                         custom=category == "CUSTOM_IDENTIFIER"))
    return by_column


def _local_etag(path: str) -> str:
    import hashlib

    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def object_identity(info: Any, session: Any = None) -> tuple[str | None, str | None]:
    """(eTag, versionId) of an object now: S3's, or the MD5 of a local file's bytes."""
    from . import io as sio

    if info.location.is_s3:
        head = sio._s3_client(session).head_object(Bucket=info.location.bucket, Key=info.location.key)
        return (head.get("ETag") or "").strip('"') or None, head.get("VersionId") or None
    return _local_etag(info.location.key), None


def relative_key(root: Any, info: Any) -> str:
    """The object key Macie would report: the S3 key, or the path relative to a local root."""
    import os

    if info.location.is_s3:
        return info.location.key
    if os.path.isfile(root.key):
        return os.path.basename(root.key)
    return os.path.relpath(info.location.key, root.key).replace(os.sep, "/")


def scan_objects(spark: Any, root: Any, objects: Sequence[Any], *, config: DetectConfig | None = None,
                 input_format: str | None = None, session: Any = None) -> tuple[list[ObjectScan], dict]:
    """Detect PII in objects (CSV, TSV, JSON Lines, JSON, Parquet; Avro if the runtime has it).

    Returns one :class:`ObjectScan` per object (status, record count, Macie detections with the
    occurrences to list) and the counts per type and column. Values never reach the driver.
    """
    from pyspark import StorageLevel

    config = config or DetectConfig()
    scans: list[ObjectScan] = []
    for info in objects:
        fmt = object_format(info.location, session, input_format)
        scan = ObjectScan(info=info, key=relative_key(root, info), fmt=fmt)
        scan.etag, scan.version_id = object_identity(info, session)
        if fmt is None or (fmt == "avro" and not _avro_available(spark)):
            scan.status, scan.reason = "SKIPPED", "UNSUPPORTED_FILE_TYPE_EXCEPTION"
        elif info.size == 0:
            scan.records = 0
        scans.append(scan)
    scans_by_file = {spark_path_key(s.info.location.spark_path()): s for s in scans}
    dets = []
    todo = [s for s in scans if s.status == "COMPLETE" and s.info.size > 0]
    for fmt in FORMATS:
        group = [s for s in todo if s.fmt == fmt]
        if not group:
            continue
        if fmt in ("csv", "tsv"):
            det, _ = _scan_csv(spark, group, "\t" if fmt == "tsv" else ",", config, session)
        elif fmt == "jsonl":
            det = _scan_jsonl(spark, group, config)
        elif fmt == "json":
            det = _scan_json_docs(spark, group, config, session)
        else:
            det = _scan_records(spark, group, fmt, config)
        if det is not None:
            dets.append(det.select(*DETECTION_COLUMNS))
    by_column: dict = {}
    if dets:
        det = dets[0]
        for d in dets[1:]:
            det = det.unionByName(d)
        det = det.persist(StorageLevel.MEMORY_AND_DISK)  # locations only (no values): read twice below
        try:
            by_column = _build_detections(spark, det, scans_by_file, config)
        finally:
            det.unpersist()
    return scans, by_column


def detect_objects(spark: Any, source: Any, results: Any, *, config: DetectConfig | None = None,
                   input_format: str | None = None, account: str = "000000000000", region: str = "local",
                   job_id: str | None = None, session: Any = None, progress: Callable[[str], None] | None = None,
                   exclude: Sequence[Any] = ()) -> dict:
    """Scan every object under ``source`` and write Macie-format discovery results to ``results``.

    Returns a summary (counts only, never values): objects, records, detections per type and
    per column, the results prefix written.
    """
    import hashlib

    from . import io as sio
    from .macie import ObjectRef, job_prefix, write_results

    config = config or DetectConfig()
    skip = [e.uri.rstrip("/") + "/" for e in exclude]
    objects = [o for o in sio.list_objects(source, session)
               if not any((o.location.uri + "/").startswith(s) for s in skip)]
    if progress:
        progress(f"detect: scanning {len(objects)} object(s)")
    job_id = job_id or hashlib.md5(source.uri.encode("utf-8"), usedforsecurity=False).hexdigest()
    scans, by_column = scan_objects(spark, source, objects, config=config, input_format=input_format, session=session)
    bucket = source.bucket if source.is_s3 else "local"
    written = write_results(results, [
        (ObjectRef(bucket=bucket, key=s.key, etag=s.etag, version_id=s.version_id, size=s.info.size),
         tuple(s.detections) if s.status != "SKIPPED" else (),
         {"status": s.status, "reason": s.reason, "mime_type": MIME_TYPES.get(s.fmt or "")})
        for s in scans], account=account, region=region, job_id=job_id, session=session)
    by_type: dict[str, int] = {}
    for s in scans:
        for d in s.detections:
            by_type[d.type] = by_type.get(d.type, 0) + d.count
    records = sum(s.records for s in scans)
    return {
        "objects": len(scans),
        "objects_with_findings": sum(1 for s in scans if s.detections),
        "objects_skipped": {s.key: s.reason for s in scans if s.status == "SKIPPED"},
        "records": records,
        "detections_by_type": dict(sorted(by_type.items())),
        "detections_by_column": {t: dict(sorted(c.items())) for t, c in sorted(by_column.items())},
        "results_location": job_prefix(results, account, region, job_id).uri,
        "result_files": len(written),
        "job_id": job_id,
    }


def format_summary(summary: Mapping[str, Any]) -> str:
    """A short human summary: counts per type and column, never values."""
    lines = [f"objects scanned: {summary['objects']} ({summary['objects_with_findings']} with findings, "
             f"{len(summary['objects_skipped'])} skipped); records: {summary['records']:,}"]
    for key, reason in sorted(summary["objects_skipped"].items()):
        lines.append(f"  skipped {key}: {reason}")
    if not summary["detections_by_type"]:
        lines.append("no sensitive data found")
    for type_name, count in summary["detections_by_type"].items():
        lines.append(f"{type_name}: {count:,}")
        for column, n in summary["detections_by_column"].get(type_name, {}).items():
            lines.append(f"    {column}: {n:,}")
    lines.append(f"results: {summary['results_location']}")
    return "\n".join(lines)


def _aws_identity(rt: Any) -> tuple[str, str]:
    if rt.aws_session is None:
        return "000000000000", "local"
    ident = rt.aws_session.client("sts").get_caller_identity()
    return ident["Account"], rt.aws_session.region_name or "us-east-1"


def run_detect_pii(rt: Any) -> dict:
    """Entry point of ``glue_jobs/detect_pii.py``: raw zone -> Macie-format discovery results."""
    import hashlib

    with rt.stage("configure"):
        source = rt.location("source_bucket")
        results = rt.location("results_bucket")
        fmt = rt.args.get("input_format") or None
        if fmt is not None and fmt not in FORMATS:
            raise ConfigError("--input_format", f"must be one of {', '.join(FORMATS)}, got {fmt!r}")
        account, region = _aws_identity(rt)
    with rt.stage("detect") as st:
        job_id = hashlib.md5(f"{source.uri}/{rt.run_id}".encode("utf-8"), usedforsecurity=False).hexdigest()
        summary = detect_objects(rt.spark, source, results, input_format=fmt, account=account, region=region,
                                 job_id=job_id, session=rt.aws_session, exclude=[results], progress=rt.logger.info)
        st.rows_in = st.rows_out = summary["records"]
        st.rows_quarantined = 0
    rt.logger.info("detect_pii: %d objects, detections by type %s", summary["objects"],
                   summary["detections_by_type"])
    summary.update({"job": "detect_pii", "rows_in": summary["records"], "rows_out": summary["records"],
                    "rows_quarantined": 0})
    return summary
