"""The admin's JavaScript catalog (/admin/jsi18n/), with the strings Django's own zh-hans catalog lacks.

Django 5.2's admin scripts ask for strings its zh_Hans `djangojs` catalog does not have yet — the
SelectFilter (filter_horizontal) buttons and hints such as "Choose all %s" — so those showed in English on
a Chinese admin page. This view is Django's catalog for django.contrib.admin plus, for Chinese, our words
for the missing ones (written in Chinese here like every string of the project; gettext lets a catalog
override them). Strings Django does translate are never replaced.
"""

from typing import Any

from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _
from django.views.i18n import JavaScriptCatalog

# Django's msgid → our Chinese (marked for makemessages; translated at request time).
ADMIN_JS_GAPS = {
    "Choose all %s": gettext_noop("全部选择%s"),
    "Choose selected %s": gettext_noop("选择选中的%s"),
    "Remove selected %s": gettext_noop("移除选中的%s"),
    "Remove all %s": gettext_noop("全部移除%s"),
    'Choose %s by selecting them and then select the "Choose" arrow button.': gettext_noop(
        "先在下面选中要添加的%s，再点击“选择”箭头。"
    ),
    'Remove %s by selecting them and then select the "Remove" arrow button.': gettext_noop(
        "先在下面选中要移除的%s，再点击“删除”箭头。"
    ),
    "(click to clear)": gettext_noop("（点击清除）"),
}


class AdminJavaScriptCatalog(JavaScriptCatalog):
    def get_catalog(self) -> dict[str, Any]:
        catalog = super().get_catalog()
        if (get_language() or "").lower().startswith("zh"):
            for msgid, text in ADMIN_JS_GAPS.items():
                catalog.setdefault(msgid, _(text))
        return catalog


admin_catalog = AdminJavaScriptCatalog.as_view(packages=["django.contrib.admin"])
