import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _settings(code: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "partnership.settings", "SECRET_KEY": "k" * 50, **env},
        capture_output=True,
        text=True,
    )


def test_files_go_to_the_file_system_under_media_root_by_default():
    result = _settings("print(settings.STORAGES['default']['BACKEND'], settings.STORAGES['staticfiles']['BACKEND'])")
    assert result.stdout.split() == [
        "django.core.files.storage.FileSystemStorage",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
    ]


def test_s3_without_django_storages_or_a_bucket_stops_start_up_with_a_clear_message():
    result = _settings("print(settings.STORAGES)", STORAGE_BACKEND="s3")
    assert result.returncode == 1
    assert "STORAGE_BACKEND=s3 needs" in result.stderr


def test_an_unknown_storage_backend_is_refused():
    result = _settings("print(settings.STORAGES)", STORAGE_BACKEND="ftp")
    assert result.returncode == 1
    assert "STORAGE_BACKEND must be filesystem or s3" in result.stderr
