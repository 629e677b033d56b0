"""Signing in: Django's own view, with the account's preferred language."""

from django.conf import settings
from django.contrib.auth.views import LoginView


class SignInView(LoginView):
    """Django's sign-in; an account's preferred language applies when the browser has not chosen one."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        language = form.get_user().language
        if settings.LANGUAGE_COOKIE_NAME not in self.request.COOKIES and language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
                secure=settings.LANGUAGE_COOKIE_SECURE,
            )
        return response
