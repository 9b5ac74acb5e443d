"""A labelled corpus of real-world formats for the detector, generated from a seed (no data files).

``corpus(seed)`` returns ``(value, column name, label, group)`` rows:

* ``column`` group: a value of the label in a column named for it (card numbers of every PAN
  length 12-19 from real IIN ranges, plain, spaced and dashed; IBANs of 20 countries; SSNs;
  e-mail; phones in E.164 and the national layouts of US, UK, FR, DE, ES, IT, NL, IE, BR; person
  names of two to five parts; US/UK/EU street addresses);
* ``text`` group: the same kinds inside free text in a ``memo`` column, without a keyword where
  people write none (SSNs, routing numbers, card numbers, names without a cue);
* ``negative`` group (label None): hard negatives -- order numbers, Luhn-invalid numbers,
  bad-checksum IBANs, invalid SSNs, amounts, dates, timestamps, product codes, tracking numbers,
  business names -- which must not be flagged as anything.

Scored per cell (``score``): a planted cell counts as found when a match carries its label.
Used by tests/test_detection_corpus.py and by the table in docs/DETECTION.md.
"""

from __future__ import annotations

import random
import string
from typing import Callable

# --- checksums (plain Python, independent of the Spark validators under test) --------------------


def luhn_complete(partial: str) -> str:
    total = 0
    for i, c in enumerate(reversed(partial)):
        d = int(c)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return partial + str((10 - total % 10) % 10)


def luhn_ok(number: str) -> bool:
    return luhn_complete(number[:-1]) == number


def iban(rng: random.Random, country: str, bban: str, valid: bool = True) -> str:
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    if not valid:  # any other check digits in 02..98 fail mod 97
        check = rng.choice([c for c in range(2, 99) if c != check])
    return f"{country}{check:02d}{bban}"


def aba(rng: random.Random) -> str:
    while True:
        d = rng.choice(["0", "1", "2", "3"]) + str(rng.randint(0, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        if (d[:2] <= "12" or "21" <= d[:2] <= "32") and sum(int(c) * w for c, w in zip(d, (3, 7, 1) * 3)) % 10 == 0:
            return d


def aba_ok(d: str) -> bool:
    return (d[:2] <= "12" or "21" <= d[:2] <= "32" or "61" <= d[:2] <= "72" or d[:2] == "80") and \
        sum(int(c) * w for c, w in zip(d, (3, 7, 1) * 3)) % 10 == 0


# --- values ---------------------------------------------------------------------------------------

# (IIN prefixes, PAN lengths) from the issuers' published ranges
CARD_RANGES = [
    (["4"], [13, 16, 19]), (["51", "52", "53", "54", "55", "2221", "2500", "2720"], [16]), (["34", "37"], [15]),
    (["6011", "644", "649", "65"], [16, 17, 18, 19]), (["300", "305", "36", "38", "39"], [14, 15, 16, 17, 18, 19]),
    (["3528", "3589"], [16, 17, 18, 19]), (["62"], [16, 17, 18, 19]),
    (["5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763"], [12, 13, 14, 15, 16, 17, 18, 19]),
    (["2200", "2204"], [16, 17, 18, 19]), (["60", "65", "81", "82", "508"], [16]), (["506099", "650002"], [16, 18, 19]),
    (["1"], [15]), (["9792"], [16]), (["5019"], [16]), (["636"], [16, 17, 18, 19]), (["637", "639"], [16]),
]
GROUPINGS = {12: [4, 4, 4], 13: [4, 4, 5], 14: [4, 6, 4], 15: [4, 6, 5], 16: [4, 4, 4, 4], 17: [4, 4, 4, 5],
             18: [4, 4, 4, 6], 19: [4, 4, 4, 4, 3]}
IBAN_SHAPES = {"GB": (4, 14), "DE": (0, 18), "FR": (0, 23), "NL": (4, 10), "ES": (0, 20), "IT": (1, 22), "IE": (4, 14),
               "BE": (0, 12), "AT": (0, 16), "CH": (0, 17), "PT": (0, 21), "PL": (0, 24), "SE": (0, 20), "DK": (0, 14),
               "NO": (0, 11), "FI": (0, 14), "LU": (0, 16), "BR": (0, 25), "GR": (0, 23), "CZ": (0, 20)}
GIVEN = ("Mary", "James", "Karin", "Pierre", "Sophie", "Lukas", "Giulia", "Marco", "Lucia", "Javier", "Aoife",
         "Sean", "Daan", "Sanne", "Joao", "Ana", "Priya", "Ahmed", "Olga", "Hiroshi", "Fatima", "Liam", "Emma",
         "Noah", "Chloe", "Mateo", "Isabella", "Thomas", "Anna", "Jurgen", "Camille", "Francesca", "Pedro", "Niamh",
         "Willem", "Beatriz", "Oliver", "Charlotte", "Elena", "Hugo")
SURNAME = ("Smith", "Rossi", "Dubois", "Muller", "Garcia", "Murphy", "Jansen", "Silva", "Nguyen", "Kowalski",
           "O'Brien", "McDonald", "Fernandez", "Bianchi", "Schneider", "Martin", "Santos", "Byrne", "Visser", "Lopez",
           "Moreau", "Ferrari", "Weber", "Walsh", "Bakker", "Oliveira", "Johnson", "Okafor", "Tanaka", "Costa")
SECOND_GIVEN = ("Ann", "Marie", "Carlos", "Luca", "Jose", "Louise", "Maria", "Paul", "Sofia", "Jean")
PARTICLE_NAMES = ("de la Cruz", "van der Berg", "da Silva", "de Vries", "van Dijk", "del Rio", "di Stefano", "von Braun")
US_CITIES = (("Springfield", "IL"), ("Salem", "OR"), ("Austin", "TX"), ("New York", "NY"), ("Madison", "WI"),
             ("Portland", "ME"), ("San Jose", "CA"), ("Columbus", "OH"))
STREETS = ("Oak", "Main", "Maple", "Lake Shore", "Church", "High", "Park", "Elm", "Cedar", "Washington", "King",
           "Station", "Mill", "Victoria", "5th", "42nd")
US_TYPES = ("St", "Street", "Ave", "Avenue", "Rd", "Road", "Blvd", "Boulevard", "Ln", "Lane", "Dr", "Drive", "Ct",
            "Court", "Way", "Pl", "Place", "Ter", "Pkwy", "Hwy", "Cir")
UK_TYPES = ("Road", "Street", "Lane", "Close", "Crescent", "Grove", "Gardens", "Avenue", "Drive", "Way", "Place",
            "Mews", "Terrace", "Walk", "Square", "Row", "Hill")
UK_TOWNS = (("London", "SW1A 2AA"), ("London", "NW1 6XE"), ("Oxford", "OX1 4AP"), ("Bristol", "BS1 5TR"),
            ("Manchester", "M1 1AE"), ("Leeds", "LS1 4DY"), ("Glasgow", "G2 3HT"), ("Cardiff", "CF10 1EP"))


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def card(rng: random.Random) -> str:
    prefixes, lengths = rng.choice(CARD_RANGES)
    prefix, length = rng.choice(prefixes), rng.choice(lengths)
    number = luhn_complete(prefix + _digits(rng, length - len(prefix) - 1))
    style = rng.random()
    if style < 0.4:
        return number
    sep = " " if style < 0.7 else "-"
    groups, out, i = GROUPINGS[length], [], 0
    for g in groups:
        out.append(number[i:i + g])
        i += g
    return sep.join(out)


def luhn_invalid(rng: random.Random) -> str:
    prefixes, lengths = rng.choice(CARD_RANGES)
    prefix, length = rng.choice(prefixes), rng.choice(lengths)
    number = luhn_complete(prefix + _digits(rng, length - len(prefix) - 1))
    wrong = str((int(number[-1]) + rng.randint(1, 9)) % 10)
    number = number[:-1] + wrong
    return number if rng.random() < 0.6 else " ".join(number[i:i + 4] for i in range(0, len(number), 4))


def an_iban(rng: random.Random, valid: bool = True) -> str:
    country = rng.choice(sorted(IBAN_SHAPES))
    letters, digits = IBAN_SHAPES[country]
    bban = "".join(rng.choice(string.ascii_uppercase) for _ in range(letters)) + _digits(rng, digits)
    value = iban(rng, country, bban, valid)
    return value if rng.random() < 0.5 else " ".join(value[i:i + 4] for i in range(0, len(value), 4))


def ssn(rng: random.Random) -> str:
    area = rng.choice([rng.randint(1, 665), rng.randint(667, 899)])
    sep = rng.choice(["-", "-", " ", ""])
    return f"{area:03d}{sep}{rng.randint(1, 99):02d}{sep}{rng.randint(1, 9999):04d}"


def invalid_ssn(rng: random.Random) -> str:
    area, group, serial = rng.randint(1, 665), rng.randint(1, 99), rng.randint(1, 9999)
    kind = rng.randrange(5)
    area = {0: 0, 1: 666, 2: rng.randint(900, 999)}.get(kind, area)
    group = 0 if kind == 3 else group
    serial = 0 if kind == 4 else serial
    return f"{area:03d}-{group:02d}-{serial:04d}"


def email(rng: random.Random) -> str:
    g, s = rng.choice(GIVEN).lower(), rng.choice(SURNAME).lower().replace("'", "")
    local = rng.choice([f"{g}.{s}", f"{g[0]}{s}", f"{g}_{s}{rng.randint(1, 99)}", f"{g}+shop", f"{s}.{g}{rng.randint(1, 9)}"])
    domain = rng.choice(["example.com", "mail.example.co.uk", "example.fr", "example.de", "post.example.nl",
                         "example.com.br", "example.ie", "example.es", "example.it"])
    return f"{local}@{domain}"


def phone(rng: random.Random) -> str:
    d = lambda n: _digits(rng, n)  # noqa: E731
    npa, nxx = rng.randint(201, 989), rng.randint(200, 999)
    line = d(4)
    return rng.choice([
        f"({npa}) {nxx}-{line}", f"{npa}-{nxx}-{line}", f"{npa}.{nxx}.{line}", f"+1 {npa} {nxx} {line}",
        f"+1-{npa}-{nxx}-{line}", f"1-{npa}-{nxx}-{line}", f"+1{npa}{nxx}{line}",
        f"+44 20 7{d(3)} {d(4)}", f"+44 7{d(3)} {d(6)}", f"020 7{d(3)} {d(4)}", f"01{d(3)} {d(6)}", f"07{d(3)} {d(6)}",
        f"0113 {d(3)} {d(4)}", f"+44 (0)20 7{d(3)} {d(4)}",
        f"+33 1 {d(2)} {d(2)} {d(2)} {d(2)}", f"01 {d(2)} {d(2)} {d(2)} {d(2)}", f"06.{d(2)}.{d(2)}.{d(2)}.{d(2)}",
        f"+33 6 {d(2)} {d(2)} {d(2)} {d(2)}", f"07-{d(2)}-{d(2)}-{d(2)}-{d(2)}",
        f"+49 30 {d(8)}", f"030 {d(8)}", f"089/{d(7)}", f"0151 {d(8)}", f"+49 (0)30 {d(7)}", f"0221-{d(7)}",
        f"+34 6{d(2)} {d(3)} {d(3)}", f"6{d(2)} {d(3)} {d(3)}", f"91 {d(3)} {d(2)} {d(2)}", f"9{d(2)} {d(3)} {d(3)}",
        f"+39 06 {d(4)} {d(4)}", f"06 {d(4)} {d(4)}", f"34{d(1)} {d(3)} {d(4)}", f"+39 34{d(1)} {d(3)} {d(4)}",
        f"02 {d(8)}",
        f"+31 20 {d(3)} {d(4)}", f"020 {d(3)} {d(4)}", f"06-{d(8)}", f"06 {d(8)}", f"+31 6 {d(8)}",
        f"+353 1 {d(3)} {d(4)}", f"01 {d(3)} {d(4)}", f"087 {d(3)} {d(4)}", f"+353 87 {d(3)} {d(4)}",
        f"+55 11 9{d(4)}-{d(4)}", f"(11) 9{d(4)}-{d(4)}", f"(21) {rng.randint(2, 5)}{d(3)}-{d(4)}", f"11 9{d(4)}-{d(4)}",
        f"0044 20 7{d(3)} {d(4)}", f"0033 1 {d(2)} {d(2)} {d(2)} {d(2)}", f"(+44) 20 7{d(3)} {d(4)}",
        f"+1 ({npa}) {nxx}-{line}", f"(01) {d(3)} {d(4)}", f"+49 151 {d(8)}", f"0151/{d(8)}", f"333 {d(7)}",
    ])


def name(rng: random.Random) -> str:
    g, s = rng.choice(GIVEN), rng.choice(SURNAME)
    return rng.choice([
        f"{g} {s}", f"{g} {s}", f"{g} {rng.choice(SECOND_GIVEN)} {s}", f"{g} {rng.choice(string.ascii_uppercase)}. {s}",
        f"{g} {rng.choice(PARTICLE_NAMES)}", f"{g}-{rng.choice(SECOND_GIVEN)} {s}", f"{g} {s}-{rng.choice(SURNAME)}",
        f"{g} {rng.choice(SECOND_GIVEN)} {rng.choice(SURNAME)} {s}", f"{g} {s} Jr.",
    ])


def column_name(rng: random.Random) -> str:
    """How name columns hold names: full names, one part, capitals, lower case, "Surname, Given"."""
    g, s = rng.choice(GIVEN), rng.choice(SURNAME)
    return rng.choice([name(rng), name(rng), f"{s}, {g}", f"{g} {s}".upper(), f"{g} {s}".lower(), g, s])


def address(rng: random.Random) -> str:
    n = rng.randint(1, 9999)
    street = rng.choice(STREETS)
    city, state = rng.choice(US_CITIES)
    town, postcode = rng.choice(UK_TOWNS)
    zip5 = f"{rng.randint(1001, 99950):05d}"
    return rng.choice([
        f"{n} {street} {rng.choice(US_TYPES)}", f"{n} {street} {rng.choice(US_TYPES)}, {city}, {state} {zip5}",
        f"{n} {street} {rng.choice(US_TYPES)} Apt {rng.randint(1, 40)}{rng.choice('ABC')}, {city}, {state} {zip5}",
        f"{n} N {street} {rng.choice(US_TYPES)}, {city}, {state} {zip5}-{rng.randint(1000, 9999)}",
        f"{rng.randint(1, 300)} {street} {rng.choice(UK_TYPES)}, {town} {postcode}",
        f"Flat {rng.randint(1, 20)}, {rng.randint(1, 300)} {street} {rng.choice(UK_TYPES)}, {town} {postcode}",
        f"{rng.randint(1, 250)}B {street} {rng.choice(UK_TYPES)}, {town}",
        f"{rng.randint(1, 120)} rue {rng.choice(['de la Paix', 'Victor Hugo', 'du Commerce', 'des Lilas', 'Saint-Michel'])}, "
        f"{rng.randint(10, 95)}0{rng.randint(10, 99)} {rng.choice(['Paris', 'Lyon', 'Lille', 'Nantes'])}",
        f"{rng.randint(1, 120)} avenue des {rng.choice(['Champs-Élysées', 'Ternes', 'Gobelins'])}, 750{rng.randint(10, 20)} Paris",
        f"{rng.choice(['Haupt', 'Bahnhof', 'Schiller', 'Goethe', 'Berliner '])}{rng.choice(['straße', 'strasse', 'Str.', 'weg'])}"
        f" {rng.randint(1, 150)}, {rng.randint(10000, 99999)} {rng.choice(['Berlin', 'München', 'Hamburg', 'Köln'])}",
        f"Calle {rng.choice(['Mayor', 'de Alcalá', 'Gran Vía', 'del Prado'])}, {rng.randint(1, 200)}, 280{rng.randint(10, 99)} Madrid",
        f"Avenida {rng.choice(['Diagonal', 'de América', 'Paulista'])} {rng.randint(1, 999)}",
        f"Via {rng.choice(['Roma', 'Garibaldi', 'Dante', 'Giuseppe Verdi'])} {rng.randint(1, 150)}, "
        f"{rng.randint(10, 98)}1{rng.randint(10, 99)} {rng.choice(['Roma', 'Milano', 'Torino'])}",
        f"Piazza {rng.choice(['San Marco', 'Navona', 'Duomo'])} {rng.randint(1, 40)}",
        f"Corso {rng.choice(['Buenos Aires', 'Vittorio Emanuele'])} {rng.randint(1, 99)}, 20124 Milano",
        f"{rng.choice(['Keizers', 'Heren', 'Prinsen'])}gracht {rng.randint(1, 700)}, {rng.randint(1000, 9999)} "
        f"{rng.choice(['AB', 'CJ', 'KL'])} Amsterdam",
        f"{rng.choice(['Station', 'Kerk', 'Dorp', 'Molen'])}straat {rng.randint(1, 300)}, {rng.randint(1000, 9999)} "
        f"{rng.choice(['XY', 'BC'])} {rng.choice(['Utrecht', 'Rotterdam'])}",
        f"{rng.randint(1, 90)} O'Connell Street, Dublin {rng.randint(1, 24)}",
        f"Rua {rng.choice(['Augusta', 'Oscar Freire', 'das Flores'])} {rng.randint(1, 2000)}, São Paulo",
        f"PO Box {rng.randint(1, 99999)}, {city}, {state} {zip5}",
    ])


STRUCTURED: list[tuple[str, str, Callable[[random.Random], str]]] = [
    ("CREDIT_CARD_NUMBER", "card_number", card), ("IBAN", "iban", lambda r: an_iban(r)),
    ("USA_SOCIAL_SECURITY_NUMBER", "ssn", ssn), ("EMAIL_ADDRESS", "email", email), ("PHONE_NUMBER", "phone", phone),
    ("NAME", "customer_name", name), ("NAME", "first_name", lambda r: r.choice(GIVEN)),
    ("NAME", "cardholder_name", column_name), ("ADDRESS", "address", address),
]
TEXT_TEMPLATES: list[tuple[str, list[str], Callable[[random.Random], str]]] = [
    ("CREDIT_CARD_NUMBER", ["Manual entry, card {} swiped twice", "paid with {} yesterday", "customer read out {} on the phone",
                            "{} declined at till 3", "use {} for the refund"], card),
    ("IBAN", ["Refund to {} requested", "please pay into {} today", "new account {} added", "{} (savings)"],
     lambda r: an_iban(r)),
    ("USA_SOCIAL_SECURITY_NUMBER", ["customer {} verified", "id check {} ok", "updated record with {} after call",
                                    "proof of identity {} on file", "tax form shows {}"], ssn),
    ("ABA_ROUTING_NUMBER", ["wire via {} today", "transfer from {} received", "funds sent to {} on Monday",
                            "bank {} acct 12345"], aba),
    ("EMAIL_ADDRESS", ["Receipt sent to {}", "customer wrote from {} about the order", "cc {} please"], email),
    ("PHONE_NUMBER", ["Customer asked for a call back on {}", "reach me at {} tonight", "new number {} for delivery",
                      "call {} after 5pm", "whatsapp {}"], phone),
    ("NAME", ["customer {} called from the store", "{} called about the refund", "Thanks, {}", "Regards, {}",
              "spoke with {} today", "refund approved for {}", "{} disputed the charge", "Mr. {} asked for a receipt",
              "card holder {} confirmed", "note from {}: all good"], name),
    ("ADDRESS", ["ship to {} asap", "customer moved to {}", "delivered to {} yesterday", "billing address {}",
                 "new address: {}"], address),
]
NEGATIVES: list[tuple[list[str], Callable[[random.Random], str]]] = [
    (["memo", "order_id"], lambda r: r.choice([f"Order #{_digits(r, r.randint(8, 10))}", f"ORD-2026-{_digits(r, 6)}",
                                               f"order no. {_digits(r, 9)}", f"Order {_digits(r, 12)} shipped"])),
    (["memo", "reference", "card_number"], luhn_invalid),
    (["iban", "memo"], lambda r: an_iban(r, valid=False)),
    (["ssn", "memo", "reference"], invalid_ssn),
    (["amount", "memo"], lambda r: r.choice([f"{r.randint(1, 99999):,}.{r.randint(0, 99):02d}", f"${r.randint(1, 9999):,}.{r.randint(0, 99):02d}",
                                             f"EUR {r.randint(1, 999)}.{r.randint(100, 999)},{r.randint(0, 99):02d}",
                                             f"{r.randint(100000000, 999999999)}.{r.randint(0, 99):02d}",
                                             f"Split bill, my share {r.randint(1, 999)}.{r.randint(0, 99):02d}"])),
    (["created", "memo"], lambda r: r.choice([f"2026-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
                                              f"{r.randint(1, 28):02d}/{r.randint(1, 12):02d}/20{r.randint(10, 30)}",
                                              f"{r.randint(1, 28):02d}.{r.randint(1, 12):02d}.2026",
                                              f"Delivery on {r.randint(1, 28)} Nov 2026"])),
    (["created_at", "memo"], lambda r: r.choice([f"2026-11-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00Z",
                                                 f"2026-11-{r.randint(1, 28):02d} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}",
                                                 f"{r.randint(1, 28):02d}.11.2026 {r.randint(10, 23)}:{r.randint(10, 59)}",
                                                 str(r.randint(1_600_000_000, 1_800_000_000)),
                                                 str(r.randint(1_600_000_000_000, 1_800_000_000_000))])),
    (["sku", "memo"], lambda r: r.choice([f"SKU-{_digits(r, 5)}", f"EAN {luhn_complete('40' + _digits(r, 10))}",
                                          f"UPC {_digits(r, 12)}", f"ISBN 978-{r.randint(0, 9)}-{_digits(r, 2)}-{_digits(r, 6)}-{r.randint(0, 9)}",
                                          f"P/N {_digits(r, 4)}-{_digits(r, 4)}-{_digits(r, 2)}", f"model XR-{r.randint(100, 9999)}"])),
    (["tracking_number", "memo"], lambda r: r.choice([f"1Z{_digits(r, 3)}AA1{_digits(r, 11)}", f"9400 1{_digits(r, 3)} {_digits(r, 4)} "
                                                      f"{_digits(r, 4)} {_digits(r, 4)} {_digits(r, 2)}",
                                                      f"Tracking {_digits(r, 22)}", f"JD0{_digits(r, 17)}"])),
    (["merchant_name", "memo"], lambda r: r.choice(["FreshMart Grocery", "Dr. Smile Dental", "Lucky Star Casino", "Bella Trattoria",
                                                    "SkyHigh Airlines", "Corner Grocer", "Grand Hotel", "Online Marketplace",
                                                    "New York Deli", "Main Street Bakery"])),
    (["memo"], lambda r: r.choice(["Thanks! \U0001F44D", "Online order shipped", "customer happy with service",
                                   "refund processed", "see ticket", "[PERSON] called", "[CREDIT_CARD_NUMBER] declined"])),
]


def corpus(seed: int = 18, per_column: int = 400, per_text: int = 50, per_negative: int = 120) -> list[tuple]:
    """(value, column, label or None, group) rows; deterministic for a seed."""
    rng = random.Random(seed)
    rows: list[tuple] = []
    for label, column, make in STRUCTURED:
        rows += [(make(rng), column, label, "column") for _ in range(per_column)]
    for label, templates, make in TEXT_TEMPLATES:
        for template in templates:
            rows += [(template.format(make(rng)), "memo", label, "text") for _ in range(per_text)]
    for columns, make in NEGATIVES:
        rows += [(make(rng), rng.choice(columns), None, "negative") for _ in range(per_negative)]
    return rows


def score(rows: list[tuple], found: dict[int, set[str]]) -> dict[tuple[str, str], dict]:
    """Per (group, label): cells, found, recall; negatives: cells flagged with anything."""
    table: dict[tuple[str, str], dict] = {}
    for i, (_, _, label, group) in enumerate(rows):
        key = (group, label or "hard negatives")
        entry = table.setdefault(key, {"cells": 0, "hits": 0})
        entry["cells"] += 1
        hit = bool(found[i]) if label is None else label in found[i]
        entry["hits"] += int(hit)
    for entry in table.values():
        entry["rate"] = entry["hits"] / entry["cells"]
    return table
