"""The admin's sign-in with Cognito's TOTP step: the password page, then the authenticator app's code."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME, login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from accounts.backends import MFA_REQUIRED_ATTRIBUTE, cognito_staff_mfa_complete, cognito_staff_mfa_pending

MFA_CODE_REFUSED = "This code is not right or has expired. Enter the current code from your authenticator app."
MFA_EXPIRED = "The sign-in took too long; enter your email and password again."


class MfaCodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return wanted
    return reverse("admin:index")


def staff_login(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """The admin's own login page; when Cognito wants the TOTP code next, on to the code page."""
    response = admin.site.login(request, **kwargs)
    if getattr(request, MFA_REQUIRED_ATTRIBUTE, False):
        return HttpResponseRedirect(f"{reverse('admin-login-mfa')}?{REDIRECT_FIELD_NAME}={_next_url(request)}")
    return response


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def staff_login_mfa(request: HttpRequest) -> HttpResponse:
    """The second step of a Cognito staff sign-in: the 6-digit code answers Cognito's challenge."""
    if not cognito_staff_mfa_pending(request):
        return HttpResponseRedirect(reverse("admin:login"))
    form = MfaCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = cognito_staff_mfa_complete(request, code=form.cleaned_data["code"])
        if user is not None:
            login(request, user, backend="accounts.backends.CognitoStaffBackend")
            return HttpResponseRedirect(_next_url(request))
        form.add_error("code", MFA_CODE_REFUSED if cognito_staff_mfa_pending(request) else MFA_EXPIRED)
    context = {
        **admin.site.each_context(request),
        "title": "Two-step sign-in",
        "form": form,
        "next": _next_url(request),
    }
    return render(request, "accounts/admin_mfa.html", context)
