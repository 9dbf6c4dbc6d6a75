from django.urls import path

from . import views

app_name = "housing"
urlpatterns = [
    path("housing/", views.project_list_view, name="index"),
    path("housing/projects/<int:pk>/", views.project_detail_view, name="project"),
    path("housing/projects/<int:pk>/apply/", views.apply_view, name="apply"),
    path("housing/me/", views.my_view, name="my"),
    path("housing/offers/<int:pk>/accept/", views.offer_accept_view, name="offer-accept"),
    path("housing/offers/<int:pk>/decline/", views.offer_decline_view, name="offer-decline"),
    path("housing/applications/<int:pk>/withdraw/", views.application_withdraw_view, name="withdraw"),
]
