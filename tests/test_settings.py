import os
import subprocess
import sys
from pathlib import Path

from django.views.defaults import server_error

ROOT = Path(__file__).resolve().parent.parent


def test_deploy_checks_pass_with_production_settings(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG"}},
        "DEBUG": "false",
        "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
        "ALLOWED_HOSTS": "partnership.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://partnership.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_favicon_address_answers_without_a_login(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")


def _settings_process(code: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "partnership.settings", **env},
        capture_output=True,
        text=True,
    )


def test_without_debug_a_missing_secret_key_stops_start_up_with_a_clear_message():
    result = _settings_process("print(settings.DEBUG)")
    assert result.returncode == 1
    assert (
        "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set. Set it in the environment "
        "(`make run` generates one into var/secret_key), or set DEBUG=true for development."
    ) in result.stderr


def test_debug_is_off_unless_set():
    result = _settings_process("print(settings.DEBUG, settings.SESSION_COOKIE_SECURE)", SECRET_KEY="k" * 50)
    assert result.stdout.split() == ["False", "True"]
    result = _settings_process(
        "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE)", SECRET_KEY="k" * 50, HTTPS="false"
    )
    assert result.stdout.split() == ["False", "False"]


def test_a_missing_page_is_the_apps_own_not_found_page(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("reader"))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "There is nothing here, or it is not shared with you." in response.content.decode()
    assert "Partnership workbench" in response.content.decode()


def test_a_server_error_is_the_apps_own_page(rf):
    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in response.content.decode()
    assert "Traceback" not in response.content.decode()


OIDC = {
    "DEBUG": "true",
    "OIDC_ENABLED": "true",
    "OIDC_RP_CLIENT_ID": "workbench",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://sso.example.ac.uk/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": "https://sso.example.ac.uk/token",
    "OIDC_OP_USER_ENDPOINT": "https://sso.example.ac.uk/userinfo",
}


def test_single_sign_on_settings_that_would_fail_every_sign_in_stop_start_up():
    result = _settings_process("print(settings.OIDC_RP_SIGN_ALGO)", **OIDC, OIDC_RP_SIGN_ALGO="RS256")
    assert result.returncode == 1
    assert (
        "OIDC_ENABLED, but OIDC_RP_SIGN_ALGO=RS256 checks the provider's signature with its public key: set "
        "OIDC_OP_JWKS_ENDPOINT (or OIDC_RP_IDP_SIGN_KEY)."
    ) in result.stderr
    result = _settings_process("print(1)", **OIDC, OIDC_RP_SIGN_ALGO="HS256")
    assert "OIDC_RP_SIGN_ALGO=HS256 signs with the client secret: set OIDC_RP_CLIENT_SECRET" in result.stderr
    result = _settings_process("print(1)", **OIDC, OIDC_RP_SIGN_ALGO="none", OIDC_OP_JWKS_ENDPOINT="jwks")
    assert "OIDC_RP_SIGN_ALGO must be RS256, ES256, HS256 or another of their family, not 'none'" in result.stderr
    assert "OIDC_OP_JWKS_ENDPOINT must be an http(s) address, not 'jwks'" in result.stderr


def test_single_sign_on_settings_that_work_start():
    good = {**OIDC, "OIDC_OP_JWKS_ENDPOINT": "https://sso.example.ac.uk/jwks"}
    result = _settings_process("print(settings.OIDC_OP_JWKS_ENDPOINT, settings.OIDC_TIMEOUT)", **good)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["https://sso.example.ac.uk/jwks", "10"]
    hs = {**OIDC, "OIDC_RP_SIGN_ALGO": "HS256", "OIDC_RP_CLIENT_SECRET": "s"}
    assert _settings_process("print(1)", **hs).returncode == 0
