"""The base of every django-import-export resource: exports neutralise formulas like the streaming CSVs.

django-import-export writes a staff-entered "=HYPERLINK(…)" as a live formula in XLSX and as-is in CSV.
Its own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only drops a leading "=" (not +, -, @, tab, CR) and turns
every cell into text, so each exported text cell goes through csvexport.neutralise instead (one function
for every export path). Numbers keep their type and sign.
"""

from typing import Any

from import_export import resources, widgets

from .csvexport import neutralise


class EscapedModelResource(resources.ModelResource):
    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        value = super().export_field(field, instance, **kwargs)
        if isinstance(value, str) and not isinstance(field.widget, widgets.NumberWidget):
            return neutralise(value)
        return value
