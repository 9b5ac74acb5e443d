"""Validators: checksum and validity rules as Spark built-in expressions (Column -> Column).

Luhn with ``transform``/``aggregate`` over the digit array, IBAN mod-97 folded one character
chunk at a time, the ABA 3-7-1 checksum with ``zip_with`` over weights, SSN area/group/serial
rules. There is no Python UDF: everything runs inside the JVM. Null stays null.
"""

from __future__ import annotations

from typing import Any, Callable

from .formats import (AWS_EXAMPLE_SECRETS, CARD_BRANDS, CARD_TEST_NUMBERS, GIVEN_NAMES, IBAN_LENGTHS,
                      IBAN_MACIE_COUNTRIES, NOT_A_PERSON, PHONE_COUNTRY_TYPES)

__all__ = ["aba_checksum_valid", "card_valid", "given_name_first", "iban_type", "iban_valid", "let", "luhn_valid",
           "phone_type", "phone_valid", "ssn_in_text", "ssn_valid"]

# Lookup tables are one string literal each (``str_to_map`` is constant-folded once), which keeps
# the expression tree -- and so Spark's analysis and code generation -- small.

_IBAN_LENGTH_TABLE = ",".join(f"{cc}:{n}" for cc, n in IBAN_LENGTHS.items())
_IBAN_TYPE_TABLE = ",".join(f"{cc}:{name}_BANK_ACCOUNT_NUMBER" for cc, name in IBAN_MACIE_COUNTRIES.items())
_PHONE_TYPE_TABLE = ",".join(f"{code}:{name}" for code, name in PHONE_COUNTRY_TYPES)
_CARD_TEST_TABLE = "," + ",".join(CARD_TEST_NUMBERS) + ","
_AWS_EXAMPLE_TABLE = " " + " ".join(AWS_EXAMPLE_SECRETS) + " "


def sql_functions():
    """``pyspark.sql.functions``, imported late so the package loads without Spark."""
    from pyspark.sql import functions as F

    return F


def let(expr: Any, body: Callable[[Any], Any]) -> Any:
    """Evaluate ``expr`` once and hand it to ``body`` as a lambda variable (a Spark "let")."""
    F = sql_functions()
    return F.element_at(F.transform(F.array(expr), body), 1)


def _table(text: str) -> Any:
    F = sql_functions()
    return F.str_to_map(F.lit(text), F.lit(","), F.lit(":"))


def luhn_valid(digits: Any) -> Any:
    """True when a string of digits passes the Luhn check (null stays null)."""
    F = sql_functions()
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
    F = sql_functions()

    def check(s: Any) -> Any:
        rearranged = F.concat(F.substring(s, 5, 64), F.substring(s, 1, 4))
        # letters are 10..35 (two digits), digits themselves; anything else makes the result null
        mod = F.aggregate(F.split(rearranged, ""), F.lit(0).cast("long"), lambda acc, c: F.when(
            F.ascii(c).between(65, 90), (acc * 100 + F.ascii(c) - 55) % 97).when(
            F.ascii(c).between(48, 57), (acc * 10 + F.ascii(c) - 48) % 97))
        expected = F.element_at(_table(_IBAN_LENGTH_TABLE), F.substring(s, 1, 2)).cast("int")
        return F.coalesce(F.length(s) == expected, F.lit(False)) & (mod == 1)

    return let(F.upper(F.regexp_replace(iban, r"[ \-]", "")), check)


def aba_checksum_valid(digits: Any) -> Any:
    """US ABA routing number: known Federal Reserve prefix and 3-7-1 weighted checksum."""
    F = sql_functions()
    weights = F.array(*[F.lit(w) for w in (3, 7, 1, 3, 7, 1, 3, 7, 1)])
    total = F.aggregate(F.zip_with(F.split(digits, ""), weights, lambda c, w: c.cast("int") * w), F.lit(0),
                        lambda acc, x: acc + x)
    known = digits.rlike("^(?:0\\d|1[0-2]|2[1-9]|3[0-2]|6[1-9]|7[0-2]|80)\\d{7}$")
    return known & (total % 10 == 0)


def ssn_valid(m: Any) -> Any:
    # area 000, 666 and 900-999, group 00 and serial 0000 are never issued
    return sql_functions().regexp_replace(m, r"[\- ]", "").rlike(r"^(?!000|666|9)\d{3}(?!00)\d{2}(?!0000)\d{4}$")


def card_valid(m: Any) -> Any:
    F = sql_functions()
    return let(F.regexp_replace(m, r"[ \-]", ""), lambda d: d.rlike(CARD_BRANDS) & luhn_valid(d) & ~F.lit(
        _CARD_TEST_TABLE).contains(F.concat(F.lit(","), d, F.lit(","))))


def phone_valid(m: Any) -> Any:
    """E.164 (``+`` or ``00``, 8-15 digits), North-American, or a national number of the countries
    the generator and Macie cover (trunk ``0`` and 9-12 digits; Spain 9 digits from 6-9; Italian
    mobiles 3xx; Brazil area code + 8-9 digits). A date such as 01.05.2024 is never a phone."""
    F = sql_functions()
    return let(F.regexp_replace(m, r"[^0-9]", ""), lambda d: F.when(
        m.rlike(r"^\(?\+1"), F.length(d) == 11).when(
        m.rlike(r"^\(?\+"), F.length(d).between(8, 15)).when(
        d.startswith("00"), F.length(d).between(10, 17) & ~d.startswith("000")).when(
        d.startswith("0"), F.length(d).between(9, 12) & ~m.rlike(_DATE_SHAPED)).otherwise(
        d.rlike(r"^1?[2-9]\d{2}[2-9]\d{6}$|^[6-9]\d{8}$|^3\d{8,9}$|^[1-9]{2}9?\d{8}$")))


_DATE_SHAPED = r"^(?:0[1-9]|[12]\d|3[01])[./\-](?:0[1-9]|1[0-2])[./\-](?:19|20)\d{2}"
_FR_LAYOUT = r"^0[1-9](?:[ .\-]?\d{2}){4}$"
_BR_LAYOUT = r"^\(?[1-9]{2}\)? ?9?\d{4}[ \-]?\d{4}$"


def phone_type(m: Any) -> Any:
    """Macie's phone type of a valid number: by country code (``+``/``00``), else by layout."""
    F = sql_functions()
    code = F.regexp_extract(m, r"^\(?(?:\+|00)(1|44|33|49|39|34|55)", 1)
    by_code = F.coalesce(F.element_at(_table(_PHONE_TYPE_TABLE), code), F.lit("INTERNATIONAL_PHONE_NUMBER"))
    digits = F.regexp_replace(m, r"[^0-9]", "")
    national = (F.when(m.rlike(_FR_LAYOUT), F.lit("FRANCE_PHONE_NUMBER"))
                .when(m.contains("/"), F.lit("GERMANY_PHONE_NUMBER"))
                .when(F.length(digits) == 11, F.lit("UK_PHONE_NUMBER"))
                .otherwise(F.lit("INTERNATIONAL_PHONE_NUMBER")))
    return (F.when(m.startswith("+") | m.startswith("(+") | m.startswith("00"), by_code)
            .when(m.startswith("0") | m.startswith("(0"), national)
            .when(digits.rlike(r"^1?[2-9]\d{2}[2-9]\d{6}$"), F.lit("PHONE_NUMBER"))
            .when(m.rlike(_BR_LAYOUT), F.lit("BRAZIL_PHONE_NUMBER"))
            .when(digits.rlike(r"^[6-9]\d{8}$"), F.lit("SPAIN_PHONE_NUMBER"))
            .when(digits.rlike(r"^3\d{8,9}$"), F.lit("ITALY_PHONE_NUMBER"))
            .otherwise(F.lit("PHONE_NUMBER")))


def iban_type(m: Any) -> Any:
    F = sql_functions()
    return F.coalesce(F.element_at(_table(_IBAN_TYPE_TABLE), F.substring(m, 1, 2)), F.lit("IBAN"))


def bank_account_valid(m: Any) -> Any:
    return m.rlike("[1-9]")  # not all zeroes


def aws_secret_valid(m: Any) -> Any:
    return m.rlike("[A-Z]") & m.rlike("[a-z]") & m.rlike("[0-9]") & ~sql_functions().lit(_AWS_EXAMPLE_TABLE).contains(m)


def aws_key_id_valid(m: Any) -> Any:
    return ~m.endswith("EXAMPLE")


def email_valid(m: Any) -> Any:
    return ~m.rlike(r"\.\.|\.@")


def person_name_valid(m: Any) -> Any:
    return ~m.rlike(NOT_A_PERSON)


_GIVEN_TABLE = "," + ",".join(n.lower() for n in GIVEN_NAMES) + ","


def given_name_first(m: Any) -> Any:
    """A capitalised name whose first word is in the shipped given-name list (and not a business)."""
    F = sql_functions()
    first = F.lower(F.regexp_extract(m, r"^([\p{L}'\u2019]+)", 1))
    return F.lit(_GIVEN_TABLE).contains(F.concat(F.lit(","), first, F.lit(","))) & ~m.rlike(NOT_A_PERSON)


def ssn_in_text(value: Any, m: Any, routing_keyword: str, uncued: str) -> Any:
    """An SSN written in free text without a keyword: valid (see :func:`ssn_valid`), not right after
    an order/ticket/case... word (``uncued``: the candidate pattern with that look-behind), and a
    bare one that is also a valid ABA routing number is left to the routing recogniser when the
    text has a routing keyword."""
    F = sql_functions()
    return (F.array_contains(F.regexp_extract_all(value, F.lit(uncued), 0), m)
            & (m.rlike(r"[\- ]") | ~aba_checksum_valid(m) | ~value.rlike(routing_keyword)))
