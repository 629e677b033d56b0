"""What every signed-in page shares: the role gate and the safe "back" address."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from registry.models import Role, role_of

PAGE_SIZE = 50


def signed_in_with_role(view):
    """Signed-in users only; an account without a role is refused (403)."""

    @login_required
    def wrapper(request, *args, **kwargs):
        if role_of(request.user) == Role.PUBLIC:
            raise PermissionDenied(_("Your account has no role in Enlace yet."))
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def back_to(request, fallback: str) -> str:
    """The page the form came from (POST `next`), when it is on this site; else `fallback`."""
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback
