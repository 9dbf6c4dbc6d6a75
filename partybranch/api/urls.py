from django.urls import path

from . import views

urlpatterns = [
    path("activities/", views.ActivityListApi.as_view(), name="activities-list"),
    path("activities/<int:pk>/", views.ActivityDetailApi.as_view(), name="activities-detail"),
    path("activities/registrations/", views.RegistrationListCreateApi.as_view(), name="activities-registrations"),
    path(
        "activities/registrations/<int:pk>/",
        views.RegistrationDetailApi.as_view(),
        name="activities-registration-detail",
    ),
    path(
        "activities/registrations/<int:pk>/cancel/",
        views.RegistrationCancelApi.as_view(),
        name="activities-registration-cancel",
    ),
    path("activities/sessions/<int:pk>/scan/", views.SessionScanApi.as_view(), name="activities-session-scan"),
    path("activities/hours/", views.HoursListCreateApi.as_view(), name="activities-hours"),
    path("activities/hours/queue/", views.HoursQueueApi.as_view(), name="activities-hours-queue"),
    path(
        "activities/hours/<int:pk>/approve/",
        views.HoursReviewApi.as_view(decision="approve"),
        name="activities-hours-approve",
    ),
    path(
        "activities/hours/<int:pk>/reject/",
        views.HoursReviewApi.as_view(decision="reject"),
        name="activities-hours-reject",
    ),
    path("party/branches/", views.BranchListApi.as_view(), name="party-branches"),
    path("party/branches/<int:pk>/members/", views.BranchMemberListApi.as_view(), name="party-branch-members"),
]
