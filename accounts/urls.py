from django.urls import path

from . import staff_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("me/", views.profile_view, name="profile"),
    path("staff/otp/", staff_views.staff_otp_view, name="staff-otp"),
    path("staff/otp/setup/", staff_views.staff_otp_setup_view, name="staff-otp-setup"),
    path("me/sessions/<int:pk>/end/", views.session_end_view, name="session-end"),
]
