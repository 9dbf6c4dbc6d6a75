from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from chaoyang_friendly.clientip import client_ip
from chaoyang_friendly.errors import ApplicationError
from chaoyang_friendly.views import rider_things

from .challenge import challenge_check, challenge_new
from .forms import CodeForm, PhoneForm, RiderProfileForm
from .models import ApiToken, RiderProfile
from .services import (
    ChallengeRequiredError,
    api_token_revoke,
    api_tokens_live_for_user,
    sms_code_send,
    sms_login,
    web_session_end,
    web_session_start,
)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Two steps on one small page, no JavaScript needed: get a code (answering a picture challenge after
    a few codes), then type it."""
    step = "phone"
    challenge = None
    phone_form = PhoneForm(request.POST or None)
    code_form = CodeForm(initial={"phone": request.POST.get("phone", "")})
    if request.method == "POST":
        action = request.POST.get("action")
        limited = (
            is_ratelimited(request, group="sms-page", key="ip", rate=settings.SMS_CODE_IP_RATE, increment=True)
            and settings.RATELIMIT_ENABLE
        )
        if limited:
            messages.error(request, _("该网络请求过于频繁，请稍后再试。"))
        elif action == "send" and phone_form.is_valid():
            step = "code"
            try:
                passed = False
                if request.POST.get("challenge_key"):
                    passed = challenge_check(
                        key=request.POST["challenge_key"], answer=request.POST.get("challenge_answer", "")
                    )
                    if not passed:
                        raise ChallengeRequiredError(_("算式答案不对，请看新的图片再试。"))
                sms_code_send(phone=phone_form.cleaned_data["phone"], ip=client_ip(request), challenge_passed=passed)
                messages.success(request, _("验证码已发送，请查收短信。"))
            except ChallengeRequiredError as exc:
                messages.error(request, str(exc))
                step, challenge = "phone", challenge_new()
            except ApplicationError as exc:
                messages.error(request, str(exc))
            code_form = CodeForm(initial={"phone": phone_form.cleaned_data["phone"]})
        elif action == "login":
            step = "code"
            code_form = CodeForm(request.POST)
            if code_form.is_valid():
                try:
                    user = sms_login(phone=code_form.cleaned_data["phone"], code=code_form.cleaned_data["code"])
                except ApplicationError as exc:
                    code_form.add_error("code", str(exc))
                else:
                    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                    if not request.session.session_key:
                        request.session.save()
                    web_session_start(
                        user=user,
                        session_key=request.session.session_key or "",
                        expires_at=request.session.get_expiry_date(),
                    )
                    return redirect(_next_url(request))
    context = {
        "step": step,
        "phone_form": phone_form,
        "code_form": code_form,
        "challenge": challenge,
        "next": _next_url(request),
    }
    return render(request, "accounts/login.html", context)


@require_http_methods(["POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    web_session_end(session_key=request.session.session_key or "")
    logout(request)
    return redirect("/")


@login_required
@require_http_methods(["POST"])
def session_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    """End one of the rider's own sign-ins (an app token or a web session); others' are 404."""
    token = get_object_or_404(ApiToken, pk=pk, user=request.user, revoked_at__isnull=True)
    api_token_revoke(token=token, actor=request.user)
    if token.session_key and token.session_key == request.session.session_key:
        logout(request)
        return redirect("accounts:login")
    messages.success(request, _("已结束该登录。"))
    return redirect("accounts:profile")


@login_required
@require_http_methods(["GET", "POST"])
def profile_view(request: HttpRequest) -> HttpResponse:
    profile, _created = RiderProfile.objects.get_or_create(user=request.user)
    form = RiderProfileForm(request.POST or None, instance=profile, initial={"name": request.user.name})
    if request.method == "POST" and form.is_valid():
        form.save()
        request.user.name = form.cleaned_data["name"]
        request.user.save(update_fields=["name"])
        messages.success(request, _("已保存。"))
        return redirect("accounts:profile")
    sessions = api_tokens_live_for_user(user=request.user)
    # 我的 is the rider's hub: the shortcuts with what is pending in each, then the profile and sign-ins.
    context = {
        **rider_things(request),
        "form": form,
        "sessions": sessions,
        "current_session_key": request.session.session_key,
    }
    return render(request, "accounts/profile.html", context)
