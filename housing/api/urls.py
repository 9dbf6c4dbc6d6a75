from django.urls import path

from . import views

urlpatterns = [
    path("housing/projects/", views.ProjectListApi.as_view(), name="housing-projects"),
    path("housing/projects/<int:pk>/", views.ProjectDetailApi.as_view(), name="housing-project"),
    path("housing/applications/", views.ApplicationListCreateApi.as_view(), name="housing-applications"),
    path("housing/applications/<int:pk>/", views.ApplicationDetailApi.as_view(), name="housing-application"),
    path(
        "housing/applications/<int:pk>/withdraw/",
        views.ApplicationWithdrawApi.as_view(),
        name="housing-application-withdraw",
    ),
    path("housing/offers/", views.OfferListApi.as_view(), name="housing-offers"),
    path("housing/offers/<int:pk>/accept/", views.OfferAcceptApi.as_view(), name="housing-offer-accept"),
    path("housing/offers/<int:pk>/decline/", views.OfferDeclineApi.as_view(), name="housing-offer-decline"),
    path("housing/leases/", views.LeaseListApi.as_view(), name="housing-leases"),
    path("housing/allocations/", views.AllocationApi.as_view(), name="housing-allocations"),
]
