"""Station contact numbers: a mainland mobile or a Beijing/other landline (with area code, extension)."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def normalize_station_phone(raw: object) -> str:
    """Return the national form of a mainland mobile or landline ("13812345678", "01065001234").

    A bare 8-digit number is taken as Beijing (010). Raises ValidationError otherwise.
    """
    text = str(raw or "").strip()
    if not text:
        return ""
    if len(text) > 24:
        raise ValidationError(_("请输入有效的手机号或座机号码。"), code="invalid_phone")
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 8 and not text.startswith("+"):
        text = "010" + digits
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise ValidationError(_("请输入有效的手机号或座机号码。"), code="invalid_phone") from None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        raise ValidationError(_("请输入有效的手机号或座机号码。"), code="invalid_phone")
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(ch for ch in national if ch.isdigit())


def validate_station_phone(value: str) -> None:
    normalize_station_phone(value)
