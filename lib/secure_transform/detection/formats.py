"""Facts about real-world formats the recognisers use: card IIN ranges, IBAN lengths, Macie's
country identifiers, phone country codes, US states and the shape of a person's name.

Sources: the SWIFT IBAN registry (ISO 13616), card issuers' IIN tables, the Macie user guide
("Managed data identifiers"); docs/DETECTION.md lists them.
"""

from __future__ import annotations

import re
from typing import Mapping


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
NAME_PART = r"\p{Lu}(?:\p{Ll}+(?:\p{Lu}\p{Ll}+)?|['\u2019]\p{Lu}\p{Ll}+)(?:-\p{Lu}\p{Ll}+)?"
FULL_NAME = (rf"{NAME_PART}(?: \p{{Lu}}\.)?(?: (?:(?:van|von|de|da|di|del|der|le|la|du|dos|bin|al)[ -])?"
             rf"{NAME_PART}){{1,3}}")
HONORIFIC = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?"
# last words that make "Dr. Smile Dental" a business, not a person
NOT_A_PERSON = (r"(?i)\b(?:dental|clinic|pharmacy|hospital|grocery|store|market|shop|inc|llc|ltd|corp|company|bank|"
                 r"hotel|cafe|restaurant|services|group|center|centre|studio|salon|motors|garage|bakery|foods)\b")
NAME_COLUMN_RE = re.compile(
    r"(?i)(?:^|[^a-z])(?:full_?name|first_?name|last_?name|given_?name|family_?name|middle_?name|surname|"
    r"customer_?name|client_?name|card_?holder(?:_?name)?|account_?holder(?:_?name)?|holder_?name|"
    r"person_?name|contact_?name|beneficiary(?:_?name)?|payee(?:_?name)?|name)(?:$|[^a-z])")
NOT_PERSON_NAME_RE = re.compile(
    r"(?i)merchant|company|business|store|shop|vendor|product|brand|file|host|bank|org|street|city|country|"
    r"state|category|currency|column|table|user|display|domain|server|device|event|job|app|item|service|region|"
    r"branch|mcc|dba|trade|legal_?entity|program|campaign|channel")

