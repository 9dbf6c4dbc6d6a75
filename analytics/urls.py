from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("analytics/", views.analytics_home, name="home"),
    path("analytics/dashboard/", views.dashboard, name="dashboard"),
    path("analytics/charts/<slug:name>.json", views.chart_data, name="chart"),
    path("analytics/exports/<slug:name>.csv", views.export_csv, name="export"),
    path("analytics/exports/<slug:name>/job/", views.export_job_start, name="export-job"),
    path("analytics/jobs/<int:pk>/download/", views.export_job_download, name="job-download"),
]
