"""Who may call the API at all. Kept apart from the viewsets: DRF imports the default
permission class while its own views module is loading."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from hotline import access


class HasRole(permissions.BasePermission):
    """Signed in (session or token) with a role; anyone else may do nothing (401 or 403)."""

    message = _("This account has no role in the hotline; ask an administrator.")

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        return access.role_of(request.user) is not None
