"""The project's form renderer (settings.FORM_RENDERER): Django's own templates, and labels punctuated for
the language they are written in.

Django puts `_(":")` after every label (`Form.label_suffix`), an ASCII colon in Chinese too, so rider pages
and the admin read "工作街道:". Here a label with Chinese in it gets the full-width "：" instead; a Latin
label (the English pages) keeps ":"; a label that already ends in "：？。！" gets nothing more; an explicit
`label_suffix` (including "", as the admin passes for checkboxes) is left alone, as Django does."""

import unicodedata

from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext as _

FULL_WIDTH_COLON = "："
FULL_WIDTH_END = "：？。！"


def has_wide_characters(text: str) -> bool:
    """True when the text has a character written full-width (Chinese, Japanese, Korean, full-width forms)."""
    return any(unicodedata.east_asian_width(ch) in ("W", "F") for ch in text)


class PortalBoundField(BoundField):
    def label_tag(self, contents=None, attrs=None, label_suffix=None, tag=None):
        if label_suffix is None:
            suffix = self.field.label_suffix if self.field.label_suffix is not None else self.form.label_suffix
            text = str(contents or self.label or "")
            if suffix == _(":") and text and has_wide_characters(text):
                # After full-width end punctuation nothing; else "：" (also after an ASCII ")" of "时限(分钟)").
                label_suffix = "" if text[-1] in FULL_WIDTH_END or text[-1] in _(":?.!") else FULL_WIDTH_COLON
        return super().label_tag(contents, attrs, label_suffix, tag)


class PortalFormRenderer(DjangoTemplates):
    bound_field_class = PortalBoundField
