"""Masking personal numbers (phone, ID-card, bank-card) before text is logged or stored.

Borrowers paste these into questions. Logs and the unanswered-question log must never hold
them in clear; the enquiry sent to the firm (with consent) is the only place they may appear.
"""

from __future__ import annotations

import logging
import re

# A number as people type it: digits (half- or full-width) with up to three separators between
# any two of them (spaces, double spaces, dots, dashes, full-width ones), an optional +86 in
# front and an ID card's final X. Each such run is then judged by its digits alone, so
# `138.1234.5678`, `138  1234  5678` and `１３８－１２３４－５６７８` are all one phone number.
_SEP_CHARS = "[ \t\u00a0\u3000.\uff0e\\-\uff0d\u2010\u2011\u2013\u2014\u00b7]"
_SEP = _SEP_CHARS + "{0,3}"
_DIGIT = "[0-9\uff10-\uff19]"
_RUN = re.compile(
    f"(?<![0-9\uff10-\uff19])(?:[+\uff0b]{_SEP})?{_DIGIT}(?:{_SEP}{_DIGIT})*(?:{_SEP}[Xx\uff38\uff58])?"
    "(?![0-9\uff10-\uff19])"
)
_SEPARATORS = re.compile(f"({_SEP_CHARS}{{1,3}})")
_ID_CARD = re.compile(r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9X]")
_PHONE = re.compile(r"(?:86)?1[3-9]\d{9}")
_WIDE = str.maketrans("０１２３４５６７８９Ｘｘx", "0123456789XXX")


def _label(digits: str) -> str | None:
    """Which personal number these digits are (None: not one we recognise)."""
    if _ID_CARD.fullmatch(digits):
        return "身份证"
    if "X" in digits:
        return None
    if _PHONE.fullmatch(digits):
        return "手机"
    if 16 <= len(digits) <= 19:
        return "卡号"
    return None


def _digits(text: str) -> str:
    return re.sub(r"[^0-9X]", "", text.translate(_WIDE))


def _masked(text: str, label: str) -> str:
    return f"[{label}***{_digits(text)[-4:]}]"


def _mask(match: re.Match[str]) -> str:
    text = match.group(0)
    label = _label(_digits(text))
    if label:
        return _masked(text, label)
    pieces = _SEPARATORS.split(text)  # digit groups at even indexes, separators between
    if len(pieces) == 1:  # one unbroken run of digits: any 11 or more are masked
        return _masked(text, "号码") if len(_digits(text)) >= 11 else text
    # Several numbers in a row ("手机 138 1234 5678 身份证 …" with the words left out): mask
    # each longest stretch of groups that is a phone, ID-card or bank-card number.
    groups = pieces[0::2]
    out: list[str] = []
    i = 0
    while i < len(groups):
        for j in range(len(groups), i, -1):
            span = "".join(pieces[2 * i : 2 * j - 1])
            found = _label(_digits(span))
            if found:
                out.append(_masked(span, found))
                i = j
                break
        else:
            out.append(groups[i])
            i += 1
        if i < len(groups):
            out.append(pieces[2 * i - 1])
    return "".join(out)


def mask_pii(text: str) -> str:
    """Replace ID-card, bank-card and phone numbers (and any unbroken run of 11+ digits) by a
    label and their last four digits, however they are spaced or written."""
    return _RUN.sub(_mask, text)


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
