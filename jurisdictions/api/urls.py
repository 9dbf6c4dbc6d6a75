from django.urls import path

from .views import StreetListApi, StreetLocateApi

urlpatterns = [
    path("streets/", StreetListApi.as_view(), name="street-list"),
    path("streets/locate/", StreetLocateApi.as_view(), name="street-locate"),
]
