from django.urls import path

from . import views

urlpatterns = [
    path("reports/categories/", views.CategoryListApi.as_view(), name="reports-categories"),
    path("reports/nearby/", views.ReportNearbyApi.as_view(), name="reports-nearby"),
    path("reports/team/", views.TeamReportListApi.as_view(), name="reports-team"),
    path("reports/", views.ReportListCreateApi.as_view(), name="reports-list"),
    path("reports/<int:pk>/", views.ReportDetailApi.as_view(), name="reports-detail"),
    path("reports/<int:pk>/support/", views.ReportSupportApi.as_view(), name="reports-support"),
    path("reports/<int:pk>/events/", views.ReportEventCreateApi.as_view(), name="reports-events"),
    path("dispatch/reports/<int:pk>/", views.DispatchPayloadApi.as_view(), name="dispatch-payload"),
    path("dispatch/reports/<int:pk>/route/", views.DispatchRouteApi.as_view(), name="dispatch-route"),
    path(
        "dispatch/reports/<int:pk>/deliveries/", views.DispatchDeliveryCreateApi.as_view(), name="dispatch-deliveries"
    ),
    path("dispatch/pending/", views.DispatchPendingApi.as_view(), name="dispatch-pending"),
    path("dispatch/sweep/", views.DispatchSweepApi.as_view(), name="dispatch-sweep"),
]
