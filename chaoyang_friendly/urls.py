from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import last_modified
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import admin_jsi18n, error_views, metrics, views

admin.site.site_header = _("友好朝阳 管理后台")
admin.site.site_title = _("友好朝阳")
admin.site.index_title = _("街道工作台")

DOMAIN_APPS = ("stations", "housing", "reports", "partybranch")

# Each app owns `<app>/api/urls.py` (mounted under /api/v1/) and `<app>/urls.py` (its pages).
api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("jurisdictions.api.urls")),
    *[path("", include(f"{app}.api.urls")) for app in DOMAIN_APPS],
    path("", include("analytics.api.urls")),
]
pages = [*[path("", include(f"{app}.urls")) for app in DOMAIN_APPS], path("", include("analytics.urls"))]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("favicon.ico", views.favicon, name="favicon"),
    # Before the admin's own route of the same path: its catalog plus the strings Django's zh-hans lacks.
    path("admin/jsi18n/", admin_jsi18n.admin_catalog, name="admin-jsi18n"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # The strings of every page script (gettext() in JS), per language; cached, changes only on deploy.
    path(
        "jsi18n/",
        cache_control(max_age=3600)(last_modified(lambda request: views.STARTED_AT)(JavaScriptCatalog.as_view())),
        name="javascript-catalog",
    ),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("captcha/", include("captcha.urls")),  # the pictures of the SMS challenge (accounts/challenge.py)
    *pages,
]
# Rider pages in the rider layout, JSON under /api/, the admin's look under /admin/ (error_views.py).
handler403 = error_views.permission_denied
handler404 = error_views.page_not_found
handler500 = error_views.server_error

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
