"""Facts about real-world formats the recognisers use: card IIN ranges, IBAN lengths, Macie's
country identifiers, phone country codes, US states and the shape of a person's name.

Sources: the SWIFT IBAN registry (ISO 13616), card issuers' IIN tables, the Macie user guide
("Managed data identifiers"); docs/DETECTION.md lists them.
"""

from __future__ import annotations

import re
from typing import Mapping


# Card brands by IIN range and PAN length (ISO/IEC 7812: 12-19 digits; issuers' published ranges).
CARD_BRANDS = (
    r"^(?:4\d{12,18}"  # Visa, Visa Electron, Elo 4xxx: 13-19
    r"|(?:5[1-5]\d{2}|222[1-9]|22[3-9]\d|2[3-6]\d{2}|27[01]\d|2720)\d{12}"  # Mastercard: 16
    r"|220[0-5]\d{12,15}"  # Mir 2200-2204, Borica 2205: 16-19
    r"|3[47]\d{13}"  # American Express: 15
    r"|1\d{14}"  # UATP: 15
    r"|3(?:0[0-5]|[689]\d)\d{11,16}|3095\d{10,15}"  # Diners Club, Hipercard 3841: 14-19
    r"|35(?:2[89]|[3-8]\d)\d{12,15}"  # JCB: 16-19
    r"|(?:50|5[6-8]|6\d)\d{14,17}"  # Maestro, Discover, UnionPay 62, RuPay 60, Verve, Elo, InterPayment: 16-19
    r"|(?:5018|5020|5038|5893|6304|6390|6759|676[1-3]|6799)\d{8,11}"  # Maestro: 12-15
    r"|(?:81|82)\d{14,17}|(?:8600|9792|9860)\d{12})$"  # UnionPay 81, RuPay 82, Uzcard, Troy, Humo
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
# Person names: capitalised parts (McDonald, O'Brien, Jean-Luc), up to two lower-case particles
# between parts (de la Cruz, van der Berg), middle initials, a generational suffix.
NAME_PART = r"\p{Lu}(?:\p{Ll}+(?:\p{Lu}\p{Ll}+)?|['\u2019]\p{Lu}\p{Ll}+)(?:-\p{Lu}\p{Ll}+)?"
_PARTICLE = r"(?:van|von|de|da|di|del|della|der|den|dos|das|do|du|le|la|los|las|bin|ibn|al|el|ter|ten|y|zu|st\.)"
_INITIAL = r"\p{Lu}\.?"
FULL_NAME = (rf"{NAME_PART}(?:[ -]{NAME_PART})?(?: {_INITIAL}){{0,2}}(?: (?:{_PARTICLE}[ -]){{0,2}}{NAME_PART}){{1,3}}"
             r"(?:,? (?:Jr|Sr|II|III|IV)\.?)?")
# all-capitals names and "Surname, Given" as written in a name column
_LOWER_PART = r"\p{Ll}(?:\p{Ll}+|['\u2019]\p{Ll}+)(?:-\p{Ll}+)?"
_CAPS_PART = r"\p{Lu}(?:\p{Lu}+|['\u2019]\p{Lu}+)(?:-\p{Lu}+)?"
COLUMN_NAME_FORMS = (rf"(?:{FULL_NAME}|{_CAPS_PART}(?: \p{{Lu}}\.?)?(?: (?:(?i:{_PARTICLE})[ -]){{0,2}}{_CAPS_PART}){{1,3}}"
                     rf"|{NAME_PART}(?: {NAME_PART})?, {NAME_PART}(?: {NAME_PART}| {_INITIAL})?"
                     rf"|{_CAPS_PART}(?: {_CAPS_PART})?, {_CAPS_PART}(?: {_CAPS_PART}| {_INITIAL})?"
                     # one part (first_name, surname columns) or all lower case, not a placeholder word
                     r"|(?!(?i:unknown|none|null|n/?a|test|anonymous|redacted|withheld|not given|tbd)$)"
                     rf"(?:{NAME_PART}|{_CAPS_PART}|{_LOWER_PART}(?: {_LOWER_PART}){{0,3}}))")
HONORIFIC = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Mme|Mlle|Herr|Frau|Sr|Sra|Srta|Sig|Dott|Dhr|Mevr)\.?"
# Context that introduces a person in free text: honorifics, "name is", roles, greetings and signatures
NAME_CUES_BEFORE = (
    rf"(?:{HONORIFIC}|(?i:my name is|name is|named|name:|customer|client|cardholder|card holder|account holder|"
    r"holder|payee|beneficiary|contact|signed by|signed|attn:?|attention:?|c/o|dear|regards,|sincerely,|"
    r"thanks,|thank you,|cheers,|spoke with|spoke to|talked to|on behalf of|authorised by|authorized by|"
    r"approved by|requested by|submitted by|cliente|kunde|kundin|client[e]?:))")
NAME_CUES_AFTER = (r"(?i: (?:called|phoned|rang|said|says|asked|requested|complained|wrote|emailed|e-mailed|visited|"
                   r"reported|confirmed|disputed|claims|claimed|paid|signed|stated|mentioned|contacted|"
                   r"\((?:customer|client|cardholder|account holder)\)))")
# last words that make "Dr. Smile Dental" a business, not a person
NOT_A_PERSON = (r"(?i)\b(?:dental|clinic|pharmacy|hospital|grocery|grocer|store|market|marketplace|shop|inc|llc|ltd|"
                r"corp|company|bank|hotel|cafe|restaurant|services|group|center|centre|studio|salon|motors|garage|"
                r"bakery|foods|street|avenue|road|lane|drive|boulevard|plaza|airlines|airways|trattoria|gym|"
                r"insurance|casino|exchange|transit|utilities|mobile|pharma|holdings|partners|gmbh|sarl|spa|bv|plc|"
                r"university|school|college|church|park|square|station|airport|monday|tuesday|wednesday|thursday|"
                r"friday|saturday|sunday|january|february|march|april|june|july|august|september|october|"
                r"november|december)\b")
NAME_COLUMN_RE = re.compile(
    r"(?i)(?:^|[^a-z])(?:full_?name|first_?name|last_?name|given_?name|family_?name|middle_?name|surname|"
    r"customer_?name|client_?name|card_?holder(?:_?name)?|account_?holder(?:_?name)?|holder_?name|"
    r"person_?name|contact_?name|beneficiary(?:_?name)?|payee(?:_?name)?|name)(?:$|[^a-z])")
ADDRESS_COLUMN_RE = re.compile(
    r"(?i)(?:address|addr|street|residence|domicile|postal|mailing|shipping_?to|ship_?to|bill_?to|home_?addr|"
    r"adresse|direccion|indirizzo|adres|endereco|anschrift)")
NOT_ADDRESS_COLUMN_RE = re.compile(
    r"(?i)(?:^|[^a-z])(?:ip|ipv4|ipv6|mac|e_?mail|email|mail_?address|url|web|wallet|host|server|contract|memory|"
    r"btc|eth|hash|node|bitcoin|crypto)(?:$|[^a-z])|e_?mail")
NOT_PERSON_NAME_RE = re.compile(
    r"(?i)merchant|company|business|store|shop|vendor|product|brand|file|host|bank|org|street|city|country|"
    r"state|category|currency|column|table|user|display|domain|server|device|event|job|app|item|service|region|"
    r"branch|mcc|dba|trade|legal_?entity|program|campaign|channel")


# --- street addresses ---------------------------------------------------------------------------
# US/UK: number, street name, street-type word (optional unit, city, state + ZIP or UK postcode).
# EU: French/Spanish/Italian type first ("12 rue de la Paix", "Calle Mayor, 5", "Via Roma 10"),
# German/Dutch type glued to the name ("Hauptstraße 5", "Keizersgracht 123"), then an optional
# postcode and city ("75002 Paris", "1015 CJ Amsterdam").
STREET_TYPES_EN = (
    "street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|ter|parkway|pkwy|"
    "highway|hwy|circle|cir|square|sq|trail|trl|close|crescent|cres|grove|gardens|gdns|mews|row|hill|walk|green|"
    "rise|parade|pde|esplanade|quay|wharf|loop|pike|plaza|alley|aly|expressway|expy|freeway|fwy|turnpike|tpke|"
    "crossing|xing|bend|ridge|heights|hts|common|commons|broadway|causeway|embankment|wynd|brae")
_NAME_WORD = r"(?:\d{1,3}(?:st|nd|rd|th)|\p{Lu}[\p{L}'\u2019\-]*\.?)"
UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}"
IE_EIRCODE = r"[AC-FHKNPRTV-Y]\d{2}(?:\d|W) ?[0-9AC-FHKNPRTV-Y]{4}"
_UNIT = r"(?:,? (?i:apt|apartment|suite|ste|unit|flat|fl|floor|room|rm|bldg|#|no\.?) ?#?[A-Za-z0-9\-]+)"
_TAIL_US_UK = (rf"(?:,? (?:\p{{Lu}}[\p{{L}}.'\-]* ?){{1,3}}(?:,? (?:(?:{US_STATES}) \d{{5}}(?:-\d{{4}})?|{UK_POSTCODE}|"
               rf"{IE_EIRCODE}))?|,? (?:{US_STATES}) \d{{5}}(?:-\d{{4}})?|,? {UK_POSTCODE})?")
STREET_US_UK = (rf"\d{{1,6}}[A-Za-z]?(?:[-/]\d{{1,4}}[A-Za-z]?)?,?(?: (?:[NSEW]\.?|North|South|East|West))? "
                rf"(?:{_NAME_WORD} ){{1,4}}(?i:{STREET_TYPES_EN})\.?(?![\p{{L}}]){_UNIT}?{_TAIL_US_UK}")
_EU_POST_CITY = r"(?:,? (?:\d{4} ?[A-Z]{2}|\d{5}|\d{4}|[A-Z]-?\d{4,5}) \p{Lu}[\p{L}'\-]+(?: \p{Lu}[\p{L}'\-]+)?)?"
STREET_TYPE_FIRST = (
    r"(?:\d{1,4}(?: ?(?:bis|ter|[A-Za-z]))?,? )?"
    r"(?i:rue|avenue|av\.|boulevard|bd|place|chemin|all[ée]e|impasse|quai|cours|passage|route|calle|c/|avenida|"
    r"avda\.?|plaza|paseo|camino|carretera|ctra\.|ronda|traves[ií]a|glorieta|via|viale|piazza|piazzale|corso|"
    r"largo|vicolo|strada|contrada|lungomare|rua|travessa|estrada|alameda|praça|praca|largo)"
    r" (?:(?i:de|del|de la|de los|de las|des|du|della|dei|delle|di|dos|das|da|do|l'|d')[ ]?)?"
    r"(?:[\p{L}'\u2019\-]+ ?){1,4}?,? (?:n[ºo°]\.? ?)?\d{1,4}[A-Za-z]?(?![\p{L}\d])" + _EU_POST_CITY)
STREET_NUMBER_FIRST_EU = (
    r"\d{1,4}(?: ?(?:bis|ter))?,? (?i:rue|avenue|boulevard|bd|place|chemin|all[ée]e|impasse|quai|cours|passage|"
    r"route|square) (?:(?i:de la|de l'|des|du|de|d')[ ]?)?(?:\p{Lu}[\p{L}'\u2019\-]*)(?: [\p{L}'\u2019\-]+){0,3}"
    + _EU_POST_CITY)
STREET_GLUED = (
    r"(?:\p{Lu}[\p{L}\-]* )?\p{Lu}[\p{L}\-]*? ?(?i:stra(?:ß|ss)e|str\.|weg|gasse|allee|platz|ring|damm|ufer|chaussee|"
    r"steig|pfad|markt|gracht|straat|laan|plein|kade|singel|dijk|dreef|steeg|hof)"
    r" \d{1,4}(?: ?[a-zA-Z])?(?:-\d{1,4})?(?![\p{L}\d])" + _EU_POST_CITY)
STREET_WORDS = (rf"(?i:\b(?:{STREET_TYPES_EN}|rue|calle|via|piazza|corso|avenida|rua|box|postfach|apartado|postbus)\b|"
                r"stra(?:ß|ss)e|str\.|weg\b|"
                r"gasse|allee|platz|gracht|straat|laan|plein|kade)")

PO_BOX = (r"(?i:p\.? ?o\.? box|post office box|postfach|apartado(?: de correos)?|casella postale|bo[iî]te postale|"
          r"postbus) \d{1,6}" + _TAIL_US_UK)

# --- national phone layouts (reported without a keyword, like (212) 555-0147) -------------------
# UK 01234 567890 / 020 7946 0958 / 07700 900123; FR 01 23 45 67 89; DE 030 12345678, 089/1234567;
# IT 06 1234 5678, 347 123 4567; ES 612 345 678, 91 123 45 67; NL 020 123 4567, 06-12345678;
# IE 01 234 5678, 087 123 4567; BR (11) 91234-5678; international 0044 20 7946 0958.
NATIONAL_PHONE_LAYOUTS = (
    r"0\d{4} \d{5,6}", r"0\d{3} \d{3} \d{3,4}", r"0\d{2} \d{3,4} \d{4}", r"\(0\d{1,4}\) ?\d{3,4}[ \-]?\d{3,4}",
    r"0[1-9](?:[ .\-]\d{2}){4}", r"0\d{1,4}[ /\-]\d{5,8}", r"0\d{1,3} \d{3,4} \d{3,4}", r"3\d{2}[ .\-]\d{3}[ .\-]?\d{3,4}",
    r"[6-9]\d{2}[ .\-]\d{3}[ .\-]\d{3}", r"[6-9]\d{2}(?:[ .\-]\d{2}){3}", r"9\d[ .\-]\d{3}(?:[ .\-]\d{2}){2}",
    r"06[ \-]\d{8}", r"0\d{1,2}[ \-]\d{3}[ \-]\d{3,4}", r"\(?[1-9]{2}\)? ?9?\d{4}[ \-]\d{4}",
    r"00[1-9]\d{0,2}(?:[ .\-]\d{1,5}){2,6}")


def _load_names(kind: str) -> tuple[str, ...]:
    """Given names or surnames from the shipped list (package data, written for this project)."""
    from importlib import resources

    text = resources.files("secure_transform").joinpath("data/person_names.csv").read_text(encoding="utf-8")
    rows = (line.split(",", 1) for line in text.splitlines()[1:] if line)
    return tuple(sorted({name.strip() for k, name in rows if k == kind}))


GIVEN_NAMES = _load_names("given")
SURNAMES = _load_names("surname")
