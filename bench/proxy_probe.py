"""The probe of the proxy, invitation and backup defects, against the production shape: gunicorn with 4 workers on
PostgreSQL, DEBUG off, HTTPS on, every request sent as the shipped nginx passes it on (from the loopback, with
`X-Forwarded-Proto: https` and the client's address in `X-Forwarded-For`).

It prints, for each case, what the server answered:

- logins: a stranger's five wrong passwords for a user, then that user's right password from elsewhere, and the
  admin's; thirty guesses at one user from thirty addresses; one address trying many users;
- password resets for seven people from seven addresses, and the addresses the account events recorded;
- invitations: two to one address, the first accepted, the member removed, then the second link;
- the API with a multipart body, and the admin's "add paper build";
- restores: a backup restored `--as` a copy into the site it came from, a tampered one, and one padded to 600 MB.

    DATABASE_URL=postgres:///partnership_probe .venv/bin/python bench/proxy_probe.py
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import ROOT, free_port, stop_all  # noqa: E402

DATABASE = os.environ.get("DATABASE_URL", "postgres:///partnership_probe")
PASSWORD = "partnership-demo"
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
MAKE_PEOPLE = (
    "from django.contrib.auth.models import User\n"
    "for n in range(7): User.objects.get_or_create(username=f'p{n}', email=f'p{n}@example.org')"
)
RESET_ADDRESSES = (
    "from accounts.models import AccountEvent as E\n"
    "print(sorted(set(E.objects.filter(kind='password_reset_requested').values_list('address', flat=True))))"
)
INVITATION_LINKS = (
    "from accounts.models import Invitation as I\nfrom accounts.services import invitation_token as t\n"
    "invitations = I.objects.filter(email='resb@example.org').order_by('pk')\n"
    "print(' '.join('/invitations/' + t(i) + '/' for i in invitations))"
)


class Client:
    """One browser behind the proxy: its cookies (kept by hand: they are Secure, and the probe speaks plain HTTP to
    the app as nginx does) and the address nginx adds for it."""

    def __init__(self, base: str, address: str) -> None:
        self.base, self.address, self.cookies = base, address, {}

    def send(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {**PROXY_HEADERS, "X-Forwarded-For": self.address, **kwargs.pop("headers", {})}
        if method != "GET":
            headers.setdefault("Origin", "https://" + self.base.split("//")[1])
            headers.setdefault("X-CSRFToken", self.cookies.get("csrftoken", ""))
        response = requests.request(
            method, self.base + path, headers=headers, cookies=self.cookies, allow_redirects=False, timeout=60, **kwargs
        )
        self.cookies.update({cookie.name: cookie.value for cookie in response.cookies})
        return response

    def form(self, path: str, data: dict) -> requests.Response:
        page = self.send("GET", path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        return self.send("POST", path, data={**data, "csrfmiddlewaretoken": token.group(1) if token else ""})

    def log_in(self, username: str, password: str, path: str = "/accounts/login/") -> int:
        return self.form(path, {"username": username, "password": password}).status_code


def manage(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=check
    )


def shell(env: dict, code: str) -> str:
    return manage(env, "shell", "--no-imports", "--verbosity", "0", "-c", code).stdout.strip()


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="probe-"))
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        "HTTPS": "true",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DATABASE_URL": DATABASE,
        "VAR_DIR": str(workdir),
        "ALLOWED_HOSTS": "127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{port}",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    subprocess.run(["dropdb", "--if-exists", DATABASE.rsplit("/", 1)[1]], check=False)
    subprocess.run(["createdb", DATABASE.rsplit("/", 1)[1]], check=True)
    for command in (["migrate", "--no-input"], ["load_partnership_project", "--demo"], ["collectstatic", "--no-input"]):
        manage(env, *command, "--verbosity", "0")
    log = open(workdir / "web.log", "wb")  # noqa: SIM115 (closed at the end)
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    web = subprocess.Popen(
        [gunicorn, "partnership.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "4"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                requests.get(base + "/healthz", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        probe(base, env, workdir)
    finally:
        stop_all([web])
        log.close()


def probe(base: str, env: dict, workdir: Path) -> None:
    requests_sent = 0
    # Logins
    stranger = Client(base, "198.51.100.66")
    wrong = [stranger.log_in("researcher", "wrong") for _ in range(5)]
    own = Client(base, "203.0.113.20").log_in("researcher", PASSWORD)
    admin = Client(base, "203.0.113.21").log_in("admin", PASSWORD, "/admin/login/")
    print(
        f"1. five wrong passwords from a stranger: {wrong}; the user's right one from elsewhere: {own}; admin: {admin}"
    )
    shell(env, "from axes.models import AccessAttempt; AccessAttempt.objects.all().delete()")
    guesses = [Client(base, f"198.51.100.{n + 1}").log_in("lead", "wrong") for n in range(30)]
    after = Client(base, "203.0.113.22").log_in("lead", PASSWORD)
    print(f"   30 guesses at one user from 30 addresses: {guesses.count(429)} × 429; then the user: {after}")
    one = Client(base, "198.51.100.200")
    many = [one.log_in(f"someone{n}", "wrong") for n in range(32)]
    print(f"   one address trying 32 users: first 429 at attempt {many.index(429) + 1 if 429 in many else None}")
    requests_sent += 2 * (5 + 2 + 30 + 1 + 32)

    # Password resets
    shell(env, MAKE_PEOPLE)
    resets = [
        Client(base, f"203.0.113.{n + 40}")
        .form("/accounts/password_reset/", {"email": f"p{n}@example.org"})
        .status_code
        for n in range(7)
    ]
    recorded = shell(env, RESET_ADDRESSES)
    print(f"2. seven resets from seven addresses: {resets}; addresses recorded: {recorded}")
    requests_sent += 14

    # Invitations
    lead = Client(base, "203.0.113.30")
    lead.log_in("lead", PASSWORD)
    invite = {"email": "resb@example.org", "role": "researcher"}
    sent = [lead.form("/projects/partnership/members/invite/", invite).status_code for _ in range(2)]
    links = shell(env, INVITATION_LINKS).split()
    invitee = Client(base, "203.0.113.31")
    first = invitee.form(
        links[0], {"password1": "old-harbour-lantern-42", "password2": "old-harbour-lantern-42"}
    ).status_code
    second_now = invitee.form(
        links[1], {"password1": "old-harbour-lantern-42", "password2": "old-harbour-lantern-42"}
    ).status_code
    member = shell(
        env, "from django.contrib.auth.models import User; print(User.objects.get(email='resb@example.org').pk)"
    )
    removed = (
        lead.form(f"/projects/partnership/members/{member}/remove/", {"hand_to": ""}).status_code if member else None
    )
    again = [
        invitee.form(link, {"password1": "new-quiet-meadow-77x", "password2": "new-quiet-meadow-77x"}).status_code
        for link in links
    ]
    back = Client(base, "203.0.113.32").log_in("resb@example.org", "old-harbour-lantern-42")
    active = shell(
        env, "from django.contrib.auth.models import User; print(User.objects.get(email='resb@example.org').is_active)"
    )
    print(
        f"3. two invitations {sent}; accepting the first {first}, the second then {second_now}; removed {removed}; "
        f"both links after the removal {again}; old password {back}; account active: {active}"
    )
    requests_sent += 16

    # Server errors
    interview = shell(env, "from casestudies.models import Interview as I; print(I.objects.order_by('pk').first().pk)")
    api = lead.send(
        "POST",
        f"/api/interviews/{interview}/excerpts",
        data=json.dumps({"start": 0, "end": 4}),
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    boss = Client(base, "203.0.113.33")
    boss.log_in("admin", PASSWORD, "/admin/login/")
    add = boss.send("GET", "/admin/reports/paperbuild/add/").status_code
    print(f"4. API with a multipart body: {api.status_code} {api.text[:90]}; admin 'add paper build': {add}")
    requests_sent += 6
    print(f"   about {requests_sent} requests sent")

    # Restores
    backup = workdir / "p.zip"
    manage(env, "backup_project", "--project", "partnership", "--out", str(backup))
    started = time.perf_counter()
    copy = manage(env, "restore_project", str(backup), "--as", "copy", check=False)
    print(
        f"5. restore --as copy into the same site: exit {copy.returncode} in {time.perf_counter() - started:.1f} s: "
        f"{(copy.stdout or copy.stderr).strip()[-120:]}"
    )
    tampered = workdir / "tampered.zip"
    with zipfile.ZipFile(backup) as source, zipfile.ZipFile(tampered, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "casestudies.interview.jsonl":
                data = b"\n".join(data.splitlines()[1:])
            target.writestr(info.filename, data)
    refused = manage(env, "restore_project", str(tampered), "--as", "tampered", check=False)
    print(f"   tampered (an interview removed): exit {refused.returncode}: {refused.stderr.strip()[-160:]}")
    padded = workdir / "padded.zip"
    with zipfile.ZipFile(backup) as source, zipfile.ZipFile(padded, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            with target.open(info.filename, "w", force_zip64=True) as member:
                if info.filename == "users.jsonl":
                    for _ in range(600):
                        member.write(b" " * 1024 * 1024)
                member.write(source.read(info.filename))
    started = time.perf_counter()
    big = subprocess.run(
        [sys.executable, "-c", "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024); sys.exit(r.returncode)",
         sys.executable, "manage.py", "restore_project", str(padded), "--as", "padded"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    print(
        f"   padded to 600 MB ({padded.stat().st_size // 1024} KB): exit {big.returncode} in "
        f"{time.perf_counter() - started:.1f} s, peak {big.stdout.strip()} MB: {big.stderr.strip()[-90:]}"
    )


if __name__ == "__main__":
    main()
