import gc
import os
import shutil
import threading

import pytest

CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
    if shutil.which(CHROMIUM) or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


def log_in_on(page, base_url: str, username: str, password: str = "partnership-demo"):
    """Sign in through the login page of `page`'s browser."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    return page


@pytest.fixture
def log_in(page, live_server):
    def log_in_as(username: str, password: str = "partnership-demo"):
        return log_in_on(page, live_server.url, username, password)

    return log_in_as


@pytest.fixture(autouse=True)
def responses_finalised_between_tests():
    """Collect what the live server's requests left, before the next test opens a transaction.

    Django's WSGI handler points a file response's file at `response.close`, which sends `request_finished`; a
    file left in a reference cycle is finalised whenever the garbage collector next runs, in whatever thread it
    runs in. Run in the main thread inside the next test's `atomic` block (loading the demo, say), that signal's
    `close_old_connections` closes the test's connection mid-transaction. Collected here, before each test sets
    up its data and after it, it closes nothing that is in use.
    """
    gc.collect()
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def one_request_at_a_time(transactional_db, live_server):
    """Serve one request at a time, and none once the test is over.

    With SQLite in memory, the live server's threads share the test's one connection, which SQLite cannot use
    from two threads at once; the coding page loads its codes and excerpts in parallel.

    A coding page keeps asking the server what changed until its browser closes, which can be after the test's
    database is emptied (`transactional_db`, set up before this fixture, is torn down after it). So when the
    test ends, the server waits for the request in hand and then answers 503 without touching the database.
    """
    server = live_server.thread.httpd
    if not hasattr(server, "site"):
        server.site = server.get_app()  # the site itself, before any test wrapped it
    app = server.site
    lock = threading.Lock()

    def serialised(environ, start_response):
        with lock:
            return list(app(environ, start_response))

    def closed(environ, start_response):
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b"The test is over."]

    server.set_app(serialised)
    yield
    with lock:
        server.set_app(closed)


@pytest.fixture(autouse=True)
def no_script_errors(page):
    """No JavaScript errors and no Content-Security-Policy violations on the way."""
    errors = []

    def on_console(message):
        # A 4xx answer is how the server refuses bad input, which some tests send on purpose.
        refused = message.text.startswith("Failed to load resource: the server responded with a status of 4")
        if message.type == "error" and not refused:
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield
    assert errors == []
