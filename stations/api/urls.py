from django.urls import path

from . import views

urlpatterns = [
    path("stations/", views.StationListApi.as_view(), name="stations-api-list"),
    path("stations/coverage/", views.StationCoverageApi.as_view(), name="stations-api-coverage"),
    path("stations/<int:pk>/", views.StationDetailApi.as_view(), name="stations-api-detail"),
    path("stations/<int:pk>/feedback/", views.StationFeedbackApi.as_view(), name="stations-api-feedback"),
    path("stations/checkin/<str:code>/", views.StationCheckinApi.as_view(), name="stations-api-checkin"),
]
