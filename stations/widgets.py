"""The opening-hours editor of the station admin: day checkboxes, time ranges, 24 h and 节假日休息, written
into the OpenStreetMap field by stations/static/stations/hours_editor.js. The raw field stays for experts
(and is all there is without JavaScript); the server validates whatever arrives (stations.hours)."""

from typing import Any

from django import forms

from .hours import normalize_opening_hours


class HoursEditorWidget(forms.TextInput):
    template_name = "admin/stations/widgets/hours_editor.html"

    class Media:
        js = ("stations/hours_editor.js",)
        css = {"all": ("stations/hours_editor.css",)}

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs={"class": "vTextField hours-raw-input", "spellcheck": "false", **(attrs or {})})

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        # Full-width ：；，－ typed with a Chinese input method are what the clerk meant: make them ASCII.
        value = super().value_from_datadict(data, files, name)
        return normalize_opening_hours(value) if isinstance(value, str) else value
