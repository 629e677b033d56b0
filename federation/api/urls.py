from django.urls import path

from federation.api import views

urlpatterns = [
    path("psi/start/", views.psi_start, name="federation-psi-start"),
    path("psi/finish/", views.psi_finish, name="federation-psi-finish"),
    path("psi/liaisons/", views.psi_liaisons, name="federation-psi-liaisons"),
]
