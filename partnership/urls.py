from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from .health import healthz


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links to."""
    return redirect(static("favicon.svg"), permanent=True)


urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon),
    path("healthz", healthz, name="healthz"),
    path("", include("coding.urls")),
    path("", include("analysis.urls")),
    path("", include("reports.urls")),
    path("", include("exchange.urls")),
    path("", include("history.urls")),
    path("", include("casestudies.urls")),
]

# Errors answer JSON under /api/ and the usual pages elsewhere.
handler400 = "coding.api.bad_request"
handler403 = "coding.api.permission_denied"
handler404 = "coding.api.page_not_found"
handler500 = "coding.api.server_error"
