from django.urls import path

from . import views

app_name = "stations"
urlpatterns = [
    path("stations/", views.nearby_view, name="nearby"),
    path("stations/<int:pk>/", views.detail_view, name="detail"),
    path("stations/<int:pk>/qr.svg", views.qr_svg_view, name="qr_svg"),
    path("stations/<int:pk>/qr.png", views.qr_png_view, name="qr_png"),
    path("stations/<int:pk>/feedback/", views.feedback_view, name="feedback"),
    path("s/<str:code>", views.checkin_view, name="checkin"),
]
