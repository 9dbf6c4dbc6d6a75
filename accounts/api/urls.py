from django.urls import path

from .views import LoginApi, LogoutApi, MeApi, SmsCodeApi

urlpatterns = [
    path("auth/sms-code/", SmsCodeApi.as_view(), name="auth-sms-code"),
    path("auth/login/", LoginApi.as_view(), name="auth-login"),
    path("auth/logout/", LogoutApi.as_view(), name="auth-logout"),
    path("auth/me/", MeApi.as_view(), name="auth-me"),
]
