"""Validators for Finnish identifiers, and the strict parser of whole numbers (ids, versions,
levels) that people and partner systems type."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# ASCII digits only: Python's \d also matches other scripts' digits.
BUSINESS_ID_RE = re.compile(r"^([0-9]{7})-([0-9])$")
# Y-tunnus check digit: weights 7, 9, 10, 5, 8, 4, 2 over the seven digits, modulo 11;
# remainder 0 gives 0, remainder 1 is never issued, otherwise 11 - remainder.
BUSINESS_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)


def business_id_check_digit(digits: str) -> int | None:
    """Return the check digit for seven digits, or None when no valid ID can end them."""
    remainder = sum(int(d) * w for d, w in zip(digits, BUSINESS_ID_WEIGHTS, strict=True)) % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return None
    return 11 - remainder


def validate_business_id(value: str) -> None:
    """Validate a Finnish business ID (Y-tunnus), e.g. ``0245437-2``."""
    match = BUSINESS_ID_RE.fullmatch(value or "")
    if not match:
        raise ValidationError(
            _("Business ID must look like 1234567-8 (seven digits, a hyphen, a check digit)."),
            code="business_id_format",
        )
    digits, check = match.groups()
    expected = business_id_check_digit(digits)
    if expected is None or expected != int(check):
        raise ValidationError(
            _("Business ID %(value)s has a wrong check digit.") % {"value": value},
            code="business_id_checksum",
        )
