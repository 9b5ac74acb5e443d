from __future__ import annotations

import logging

from secure_transform.logs import RedactingFormatter, redact

PLANTED = ["jane.doe@example.com", "4111 1111 1111 1111", "4929123456781234", "123-45-6789", "+14155550123",
           "(415) 555-0123", "GB82WEST12345698765432", "AKIAABCDEFGHIJKLMNOP", "a" * 20 + "B" * 30]


def test_redact_removes_every_planted_value():
    text = "row: " + " | ".join(PLANTED) + " amount 12.50 on 2026-11-03"
    out = redact(text)
    for value in PLANTED:
        assert value not in out
    assert "12.50" in out and "2026-11-03" in out  # ordinary numbers and dates stay readable


def test_formatter_redacts_messages_and_tracebacks():
    fmt = RedactingFormatter("%(message)s")
    try:
        raise ValueError("cannot cast 'jane.doe@example.com' to double")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed on %s", ("123-45-6789",), sys.exc_info())
    out = fmt.format(record)
    assert "123-45-6789" not in out and "jane.doe@example.com" not in out
    assert "[SSN]" in out and "[EMAIL]" in out and "ValueError" in out
