import io
import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM then refuses synchronous calls.
# This is for the test process only and never set in the app's settings.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def demo_project(db):
    """The seed project with its demo users and material, as `make run` loads it."""
    from django.core.management import call_command

    from casestudies.models import ResearchProject

    call_command("load_partnership_project", "--demo", stdout=io.StringIO())
    return ResearchProject.objects.get(slug="partnership")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing costs a third of a second a user; tests make hundreds of users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
