"""The only settings module: everything that differs between machines comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    return int(env_str(name, str(default)))


# Off unless asked for: DEBUG error pages show settings, local variables and the POST data just typed.
DEBUG = env_bool("DEBUG", False)
# A fixed key is only acceptable for local development (`make dev`); `make run` generates one into var/.
SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-set-SECRET_KEY-in-production" if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set it in the environment (`make run` generates one into var/secret_key), "
        "or set DEBUG=true for development."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
# Production serves over HTTPS: secure cookies, redirects to https and HSTS follow from this. `make run` serves
# plain HTTP on the loopback and sets HTTPS=false.
HTTPS = env_bool("HTTPS", not DEBUG)
# Behind a proxy that sets X-Forwarded-Proto and X-Forwarded-For (the production set-up).
BEHIND_PROXY = env_bool("BEHIND_PROXY", HTTPS)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# A refused CSRF token answers JSON under /api/ and the usual page elsewhere.
CSRF_FAILURE_VIEW = "coding.api.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "taggit",
    "django_tasks_db",
    "axes",
    "simple_history",
    "casestudies",
    "coding",
    "analysis",
    "reports",
    "exchange",
    "suggestions",
    "accounts",
    "history",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "partnership.middleware.PrivateCacheControlMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Records who made each change in the history of records (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out login attempt into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# A change's reason (a consent change's above all) is kept whole, not cut at 100 characters.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

ROOT_URLCONF = "partnership.urls"
WSGI_APPLICATION = "partnership.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'partnership.sqlite3'}"),
        # A connection kept for a minute saves opening one per request (about 8 ms on PostgreSQL); the health
        # check replaces one the server has closed before it is used.
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The zero-setup default keeps its file under var/, which a fresh clone does not have yet.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Several writers (gunicorn workers and the task worker) share the file. A deferred transaction that reads and
    # then writes fails at once with "database is locked" when another writer got there first; an immediate one
    # takes the write lock at BEGIN, where SQLite waits for it up to the timeout (seconds).
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = env_int("SQLITE_TIMEOUT", 20)
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    # Write-ahead logging: a commit appends to the log rather than flushing the whole file to disk, so saving an
    # excerpt on the coding page takes a millisecond or two, and readers no longer block the writer.
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First, as django-axes asks: refuses a locked-out user and address before the password is checked.
    "partnership.throttling.LoginThrottlingBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# How many reverse proxies stand in front of the app, each adding the address it was reached from to
# X-Forwarded-For (the shipped nginx is one). `partnership.network.client_address` reads the client's address from
# it; login throttling, the password-reset limit and account events all use that.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 1 if BEHIND_PROXY else 0)
# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from one address, that
# pair is locked out for AXES_COOLOFF_HOURS (or until an admin deletes the lockout under "Access attempts"). A
# stranger elsewhere therefore cannot lock a user out. One address is also stopped after LOGIN_ADDRESS_FAILURE_LIMIT
# wrong passwords for any usernames in the same time, so it cannot try many users.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 30)
AXES_COOLOFF_TIME = timedelta(hours=env_int("AXES_COOLOFF_HOURS", 1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "partnership.throttling.locked_out"
AXES_HANDLER = "partnership.throttling.LoginAttemptHandler"
AXES_CLIENT_IP_CALLABLE = "partnership.network.client_address"
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Email: the console by default (a sent invitation or reset link is printed, as plain text with each link on one
# line, and an invitation's link is shown to its sender); SMTP in production.
# Console on plain HTTP (`make run`, `make dev`); SMTP by default wherever HTTPS is on (production).
EMAIL_BACKEND_PATH = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if HTTPS else "accounts.mail.ConsoleEmailBackend",
)
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH}}
if EMAIL_BACKEND_PATH == "django.core.mail.backends.smtp.EmailBackend":
    MAILERS["default"]["OPTIONS"] = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 587),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", True),
        "use_ssl": env_bool("EMAIL_USE_SSL", False),
        "timeout": env_int("EMAIL_TIMEOUT", 10),
    }
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "workbench@localhost")
# The address links in emails start with (invitations sent from the command line have no request to ask).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# An invitation link works once, for this many days.
INVITATION_MAX_AGE_DAYS = env_int("INVITATION_MAX_AGE_DAYS", 7)
# Password reset requests: at most this many per email address (and per client address) an hour.
PASSWORD_RESET_LIMIT = env_int("PASSWORD_RESET_LIMIT", 5)
# Single sign-on through an institution's OpenID Connect provider (mozilla-django-oidc): off unless OIDC_ENABLED.
OIDC_ENABLED = env_bool("OIDC_ENABLED", False)
if OIDC_ENABLED:
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.append("accounts.oidc.InstitutionSignInBackend")
    OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET")
    OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT")
    OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT")
    # Empty means unset: the library tells a missing key from a configured one by None.
    OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT") or None
    OIDC_RP_IDP_SIGN_KEY = env_str("OIDC_RP_IDP_SIGN_KEY") or None
    OIDC_RP_SIGN_ALGO = env_str("OIDC_RP_SIGN_ALGO", "RS256")
    OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", "openid email profile")
    OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "your institution")
    # Seconds to wait for the provider's token, key and userinfo endpoints (the library waits for ever otherwise).
    OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)
    # A refused sign-in goes back to the login page, which says why (accounts.oidc.SignInCallbackView).
    LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?sign_in=refused"
    # Start-up refuses settings that would fail at every sign-in.
    problems = [
        f"{name} is not set"
        for name in (
            "OIDC_RP_CLIENT_ID",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
        )
        if not globals()[name]
    ]
    problems += [
        f"{name} must be an http(s) address, not {globals()[name]!r}"
        for name in (
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
        )
        if globals()[name] and not str(globals()[name]).startswith(("https://", "http://"))
    ]
    if OIDC_RP_SIGN_ALGO.startswith(("RS", "ES", "PS")):
        if not (OIDC_OP_JWKS_ENDPOINT or OIDC_RP_IDP_SIGN_KEY):
            problems.append(
                f"OIDC_RP_SIGN_ALGO={OIDC_RP_SIGN_ALGO} checks the provider's signature with its public key: "
                "set OIDC_OP_JWKS_ENDPOINT (or OIDC_RP_IDP_SIGN_KEY)"
            )
    elif OIDC_RP_SIGN_ALGO.startswith("HS"):
        if not OIDC_RP_CLIENT_SECRET:
            problems.append(
                f"OIDC_RP_SIGN_ALGO={OIDC_RP_SIGN_ALGO} signs with the client secret: set OIDC_RP_CLIENT_SECRET"
            )
    else:
        problems.append(
            f"OIDC_RP_SIGN_ALGO must be RS256, ES256, HS256 or another of their family, not {OIDC_RP_SIGN_ALGO!r}"
        )
    if problems:
        raise ImproperlyConfigured(f"OIDC_ENABLED, but {'; '.join(problems)}.")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "casestudies:dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j F Y, H:i"

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Uploaded and built files (paper builds, import jobs' files) go through the default storage: the file system under
# MEDIA_ROOT, or with STORAGE_BACKEND=s3 an S3-compatible bucket through django-storages (not installed by default:
# `pip install django-storages[s3]`). Every app server and worker must see the same storage.
STORAGE_BACKEND = env_str("STORAGE_BACKEND", "filesystem").strip().lower()
if STORAGE_BACKEND == "filesystem":
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif STORAGE_BACKEND == "s3":
    try:
        import storages.backends.s3  # noqa: F401
    except ImportError as error:
        raise ImproperlyConfigured(
            "STORAGE_BACKEND=s3 needs django-storages with boto3: `pip install django-storages[s3]` "
            "(see deploy/README.md)."
        ) from error
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET"),
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "region_name": env_str("S3_REGION") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            # Files are served only through the app, to users who may see them: never public, never signed links.
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    if not DEFAULT_STORAGE["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs S3_BUCKET.")
else:
    raise ImproperlyConfigured(f"STORAGE_BACKEND must be filesystem or s3, not {STORAGE_BACKEND!r}.")
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# /healthz reports the task workers missing when none has written its heartbeat (every 30 s) for this long.
HEALTH_WORKER_SECONDS = env_int("HEALTH_WORKER_SECONDS", 120)
# The worker prunes finished task results, and uploads kept by jobs that failed, after this many days.
TASK_RESULTS_KEEP_DAYS = env_int("TASK_RESULTS_KEEP_DAYS", 14)
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django.tasks.backends.immediate.ImmediateBackend"),
    }
}

# Uploads: transcripts and exchange files are read in memory up to this size and refused beyond it.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
# A .docx or .odt is a ZIP archive: refused when it would unpack to more than this (a "zip bomb").
UPLOAD_MAX_EXPANDED_BYTES = env_int("UPLOAD_MAX_EXPANDED_BYTES", 5 * UPLOAD_MAX_BYTES)
# A transcript file larger than this is read by the task worker rather than inside the request.
TRANSCRIPT_BACKGROUND_BYTES = env_int("TRANSCRIPT_BACKGROUND_BYTES", 1024 * 1024)
# A REFI-QDA archive (.qdpx) is refused if its contents would expand beyond this (zip bombs).
EXCHANGE_MAX_EXPANDED_BYTES = env_int("EXCHANGE_MAX_EXPANDED_BYTES", 512 * 1024 * 1024)

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Error reports hide the POST parameters views mark sensitive (real names), with DEBUG on too.
DEFAULT_EXCEPTION_REPORTER_FILTER = "partnership.reporting.ExceptionReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools narrate every page and font at INFO.
    "loggers": {name: {"level": "WARNING"} for name in ("weasyprint", "fontTools")},
}
