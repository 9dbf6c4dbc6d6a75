from django.urls import path

from .views import ExportCsvApi

urlpatterns = [path("exports/<slug:name>.csv", ExportCsvApi.as_view(), name="export-csv")]
