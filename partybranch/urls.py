from django.urls import path

from . import views

app_name = "partybranch"
urlpatterns = [
    path("activities/", views.activity_list, name="activity-list"),
    path("activities/<int:pk>/", views.activity_detail, name="activity-detail"),
    path("activities/<int:pk>/signup/", views.activity_signup, name="activity-signup"),
    path("activities/mine/", views.registration_list, name="registration-list"),
    path("activities/registrations/<int:pk>/", views.registration_detail, name="registration-detail"),
    path("activities/registrations/<int:pk>/cancel/", views.registration_cancel, name="registration-cancel"),
    path("activities/hours/", views.hours_page, name="hours"),
    path("activities/sessions/<int:pk>/checkin/", views.session_checkin, name="session-checkin"),
    path("activities/scan/<str:token>/", views.scan, name="scan"),
]
