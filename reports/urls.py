from django.urls import path, re_path

from . import open311, views

app_name = "reports"
FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    path("reports/", views.report_new, name="new"),
    path("reports/mine/", views.report_mine, name="mine"),
    path("reports/team/", views.team_page, name="team"),
    path("reports/<int:pk>/", views.report_detail, name="detail"),
    re_path(r"^open311/v2/discovery" + FMT, open311.discovery, name="open311-discovery"),
    re_path(r"^open311/v2/services" + FMT, open311.service_list, name="open311-services"),
    re_path(r"^open311/v2/services/(?P<code>[\w-]+)" + FMT, open311.service_definition, name="open311-service"),
    re_path(r"^open311/v2/requests" + FMT, open311.request_list, name="open311-requests"),
    re_path(r"^open311/v2/requests/(?P<pk>[^/.]+)" + FMT, open311.request_detail, name="open311-request"),
]
