import pytest
from django.core.exceptions import ValidationError

from accounts.phone import mask_phone, normalize_phone


@pytest.mark.parametrize(
    "raw", ["13812345678", "+86 138-1234-5678", "8613812345678", "138 1234 5678", "+8613812345678"]
)
def test_it_normalises_mainland_mobile_numbers(raw):
    assert normalize_phone(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["", "12345", "010-12345678", "+1 202 555 0123", "1381234567x", "1" * 40, None])
def test_it_rejects_what_is_not_a_mainland_mobile(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)


def test_it_masks_the_middle_four_digits():
    assert mask_phone("13812345678") == "138****5678"
