"""Forms of the stations admin: labels end in a full-width colon in Chinese (Django's own suffix is ASCII)."""

from typing import Any

from django import forms
from django.utils.translation import pgettext_lazy

from .models import CalendarDay


class FullWidthLabels:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", pgettext_lazy("form label suffix", "："))
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]


class CalendarDayForm(FullWidthLabels, forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ("date", "kind", "note")
