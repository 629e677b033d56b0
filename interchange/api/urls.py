from django.urls import path

from interchange.api.views import PopoloView

urlpatterns = [
    path("open-data/popolo.json", PopoloView.as_view(), name="open-data-popolo"),
]
