from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from accounts.views import ResetRequestedView, ThrottledPasswordResetView

from .health import healthz


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links to."""
    return redirect(static("favicon.svg"), permanent=True)


admin.site.site_header = "Partnership workbench administration"
admin.site.site_title = "Partnership workbench"
admin.site.index_title = "Records and accounts"

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(extra_context={"oidc_enabled": settings.OIDC_ENABLED}),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/password_reset/", ThrottledPasswordResetView.as_view(), name="password_reset"),
    path("accounts/password_reset/done/", ResetRequestedView.as_view(), name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon),
    path("healthz", healthz, name="healthz"),
    path("", include("coding.urls")),
    path("", include("analysis.urls")),
    path("", include("reports.urls")),
    path("", include("exchange.urls")),
    path("", include("accounts.urls")),
    path("", include("history.urls")),
    path("", include("casestudies.urls")),
]

if settings.OIDC_ENABLED:
    from mozilla_django_oidc import views as oidc_views

    from accounts.oidc import SignInCallbackView

    # The provider's pages come before anyone is signed in.
    urlpatterns += [
        path(
            "oidc/authenticate/",
            login_not_required(oidc_views.OIDCAuthenticationRequestView.as_view()),
            name="oidc_authentication_init",
        ),
        path(
            "oidc/callback/",
            login_not_required(SignInCallbackView.as_view()),
            name="oidc_authentication_callback",
        ),
    ]

# Errors answer JSON under /api/ and the usual pages elsewhere.
handler400 = "coding.api.bad_request"
handler403 = "coding.api.permission_denied"
handler404 = "coding.api.page_not_found"
handler500 = "coding.api.server_error"
