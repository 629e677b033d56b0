from rest_framework.routers import DefaultRouter

from flags.api import views

router = DefaultRouter(trailing_slash=True)
router.register("flags", views.FlagViewSet, basename="flag")

urlpatterns = router.urls
