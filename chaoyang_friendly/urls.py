from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

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
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    *pages,
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
