"""Staff who owe their session a second factor can do nothing else until they give it."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from .staff_otp import staff_otp_pending, staff_otp_session_start


class StaffOtpMiddleware:
    """After django_otp's OTPMiddleware. A staff member who must present a TOTP code (staff_otp.py) and has
    not yet is sent to verify (or to enrol, from the verify page) from every page but login and logout;
    the API answers 403. After a password login at the admin it records whether the user enrolled a device."""

    EXEMPT_URL_NAMES = (
        "admin:login",
        "admin:logout",
        "accounts:logout",
        "accounts:staff-otp",
        "accounts:staff-otp-setup",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._exempt: set[str] | None = None

    def _exempt_paths(self) -> set[str]:
        if self._exempt is None:
            self._exempt = {reverse(name) for name in self.EXEMPT_URL_NAMES}
        return self._exempt

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        exempt = path in self._exempt_paths() or path.startswith(settings.STATIC_URL)
        if not exempt and staff_otp_pending(request):
            if path.startswith("/api/"):
                return JsonResponse({"detail": _("请先完成工作人员二次验证。")}, status=403)
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('accounts:staff-otp')}?{query}")
        response = self.get_response(request)
        if path == reverse("admin:login") and request.method == "POST" and request.user.is_authenticated:
            staff_otp_session_start(request=request, user=request.user)  # type: ignore[arg-type]
        return response
