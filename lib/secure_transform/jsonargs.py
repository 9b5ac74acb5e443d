"""JSON job arguments (``--pii_columns``, ``--binning_config``, ``--anomaly_config``,
``--masking_policy``): one parser, so every one of them behaves the same.

* ``@path`` reads the JSON from a local file or an ``s3://`` object (a CLI convenience; on Glue
  the arguments are the JSON text itself);
* a key given twice in one object is an error, never "the last one wins": in a configuration
  that decides what is tokenized, a silently ignored entry is a leak waiting to happen;
* a syntax error names the parameter, line and column, never the text.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import ConfigError

__all__ = ["DuplicateKeyError", "no_duplicate_keys", "parse_json_arg"]


class DuplicateKeyError(ValueError):
    """A JSON object gives one key twice (``str()``: ``duplicate key '<key>'``)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key = key


def no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for ``json.loads`` that refuses a key given twice in one object."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKeyError(key)
        seen[key] = value
    return seen


def parse_json_arg(value: Any, parameter: str) -> Any:
    """The parsed value of a JSON argument: a mapping or list passes through, None stays None,
    text (or ``@path``) is parsed. Raises ``ConfigError`` naming ``parameter``."""
    if value is None or isinstance(value, (dict, list)):
        return value
    text = str(value).strip()
    if text.startswith("@"):
        from . import io as sio

        try:
            text = sio.read_text(sio.parse_location(text[1:], parameter))
        except (OSError, UnicodeDecodeError):
            raise ConfigError(parameter, f"cannot read the file {text[1:]!r}") from None
    try:
        return json.loads(text, object_pairs_hook=no_duplicate_keys)
    except DuplicateKeyError as exc:
        raise ConfigError(parameter, f"key {exc.key!r} appears more than once in the JSON") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(parameter, f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
