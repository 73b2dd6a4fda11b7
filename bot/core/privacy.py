"""Masking personal numbers (phone, ID-card, bank-card) before text is logged or stored.

Borrowers paste these into questions. Logs and the unanswered-question log must never hold
them in clear; the enquiry sent to the firm (with consent) is the only place they may appear.
"""

from __future__ import annotations

import logging
import re

# Longest patterns first: an 18-digit ID contains what would look like a phone number.
_ID_CARD = re.compile(
    r"(?<![0-9])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?![0-9])"
)
_BANK_CARD = re.compile(r"(?<![0-9])(?:\d[ -]?){15,18}\d(?![0-9])")
_PHONE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?![0-9])")
_LONG_DIGITS = re.compile(r"(?<![0-9])\d{11,}(?![0-9])")


def _keep_tail(match: re.Match[str], label: str) -> str:
    digits = re.sub(r"[^0-9Xx]", "", match.group(0))
    return f"[{label}***{digits[-4:]}]"


def mask_pii(text: str) -> str:
    """Replace ID-card, bank-card and phone numbers by a label and their last four digits."""
    text = _ID_CARD.sub(lambda m: _keep_tail(m, "身份证"), text)
    text = _BANK_CARD.sub(lambda m: _keep_tail(m, "卡号"), text)
    text = _PHONE.sub(lambda m: _keep_tail(m, "手机"), text)
    return _LONG_DIGITS.sub(lambda m: _keep_tail(m, "号码"), text)


class MaskingFormatter(logging.Formatter):
    """Formatter that masks personal numbers in the whole output, tracebacks included."""

    def __init__(self, inner: logging.Formatter | None = None) -> None:
        super().__init__()
        self._inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return mask_pii(self._inner.format(record))


def install_log_masking(logger: logging.Logger | None = None) -> None:
    """Wrap the formatter of every handler of the root logger (idempotent)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not isinstance(handler.formatter, MaskingFormatter):
            handler.setFormatter(MaskingFormatter(handler.formatter))
