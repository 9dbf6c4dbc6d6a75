"""Mainland mobile numbers: the login identifier. Parsed and validated with `phonenumbers`."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalize_phone(raw: object) -> str:
    """Return the 11-digit national form ("13812345678") of a mainland mobile number.

    Accepts "+86 138-1234-5678", "8613812345678", "138 1234 5678"; raises ValidationError otherwise.
    """
    text = str(raw or "").strip()
    if not text or len(text) > 32:
        raise ValidationError(_("请输入有效的中国大陆手机号码。"), code="invalid_phone")
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise ValidationError(_("请输入有效的中国大陆手机号码。"), code="invalid_phone") from None
    if (
        number.country_code != 86
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in MOBILE_TYPES
    ):
        raise ValidationError(_("请输入有效的中国大陆手机号码。"), code="invalid_phone")
    return str(number.national_number)


def validate_phone(value: str) -> None:
    normalize_phone(value)


def mask_phone(phone: str | None) -> str:
    """Return "138****1234" for "13812345678"."""
    if not phone:
        return ""
    if len(phone) != 11:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"
