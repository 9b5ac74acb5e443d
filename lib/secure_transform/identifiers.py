"""Which columns identify a person or a record, judged from the column name alone.

Used where a command must not treat such a column as ordinary data:

* anomaly features: a card number or customer id read as a number is not a feature, and a model
  trained on it would carry its digits in its split values; :func:`is_identifying` columns are
  neither offered in "valid features" lists nor accepted;
* ``anomaly score`` output: :func:`is_personal` columns are dropped unless the user keeps them.

*Personal* columns hold personal data: the sample configuration's tokenized columns
(``customer_id``, ``email``, ``card_number``, ...) and names built from the same words in other
spellings (``client_name``, ``cc_number``, ``phone_mobile``, ``date_of_birth``). Merchant columns
describe businesses and are not personal. *Identifying* columns are personal ones plus record
identifiers (``id``, ``*_id``, ``*_key``, ``*_uuid``), which are not personal but are no feature.
"""

from __future__ import annotations

import re

__all__ = ["is_personal", "is_identifying"]

# Words that make a column personal wherever they appear.
_PERSONAL = frozenset((
    "cardholder", "iban", "bic", "swift", "ssn", "sin", "nino", "passport", "licence", "license",
    "phone", "mobile", "tel", "fax", "email", "mail", "name", "firstname", "lastname", "surname", "fullname",
    "address", "street", "zip", "zipcode", "postcode", "postal", "birth", "dob", "birthdate",
    "ip", "ipv4", "ipv6", "imei", "mac", "cookie", "memo", "note", "notes", "comment", "username", "login",
))
# Words that name whose record it is: personal alone (``customer``) or with an identifier word
# (``customer_id``, ``card_number``, ``account_no``), not as an attribute (``customer_tenure_days``).
_OWNER = frozenset(("customer", "client", "user", "member", "card", "cc", "pan", "account", "acct", "routing",
                    "device", "tax", "tin", "nin", "sort"))
_ID_WORDS = frozenset(("id", "ids", "number", "no", "num", "nr", "key", "uuid", "guid", "code", "token", "hash"))
_WORD = re.compile(r"[a-z0-9]+")
_RECORD_ID = re.compile(r"(^|_)(id|ids|key|uuid|guid)$")


def _words(name: str) -> list[str]:
    # snake_case, kebab-case and camelCase all split into lower-case words
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name))
    return _WORD.findall(spaced.lower())


def is_personal(name: str) -> bool:
    """Whether the column ``name`` holds personal data, by its words (merchant columns excepted)."""
    words = _words(name)
    if not words or words[0] == "merchant":
        return False
    if any(w in _PERSONAL for w in words):
        return True
    return any(w in _OWNER for w in words) and (len(words) == 1 or any(w in _ID_WORDS for w in words))


def is_identifying(name: str) -> bool:
    """Personal, or a record identifier (``id``, ``transaction_id``, ``order_key``, ...)."""
    return is_personal(name) or bool(_RECORD_ID.search("_".join(_words(name))))
