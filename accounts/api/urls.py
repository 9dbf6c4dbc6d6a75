from django.urls import path

from .views import LoginApi, MeApi, SmsCodeApi

urlpatterns = [
    path("auth/sms-code/", SmsCodeApi.as_view(), name="auth-sms-code"),
    path("auth/login/", LoginApi.as_view(), name="auth-login"),
    path("auth/me/", MeApi.as_view(), name="auth-me"),
]
