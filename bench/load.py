"""Load test: N coders at once creating, editing and deleting excerpts through the JSON API, and reading pages.

By default it starts the app as `make run` does (gunicorn and the task worker under honcho, with the Procfile, DEBUG
off) on a free loopback port, against a temporary SQLite database with the demo loaded; or it sends traffic to a
running server given with --url (loopback addresses only). Each coder logs in as a demo user (admin, lead,
researcher in turn, password partnership-demo), then loops: create an excerpt, read the interview's excerpts, edit
the memo of one of its excerpts, delete one now and then, open the coding page. It is bounded by --requests per coder
and by --seconds overall, and stops by itself.

It prints throughput, p50/p95/p99 latency per kind of request, how many answers were 5xx, and the writes the server
acknowledged against the rows then found through the API (they must be equal). Excerpts it leaves are deleted at
the end.

    .venv/bin/python bench/load.py                         # 20 coders, 40 requests each, on a fresh stack
    .venv/bin/python bench/load.py --coders 20 --workers 4
    .venv/bin/python bench/load.py --url http://127.0.0.1:8000/   # against `make run`
    .venv/bin/python bench/load.py --cluster               # two app servers, two workers, one PostgreSQL

--cluster is the production shape on one machine: it migrates the PostgreSQL database in DATABASE_URL (default
postgres:///partnership_deploy_load) and loads the demo, starts two gunicorn app servers on two free loopback
ports and two `manage.py worker` processes, spreads the coders (50) across both servers for --seconds (60), and has two
lead users queue HTML builds of the demo papers during the run. It also prints each build's status and the worker
that ran it (django-tasks-db's worker ids, matched through PaperBuild.task_id) and each server's /healthz.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_USERS = ("researcher", "lead", "admin")
DEMO_PASSWORD = "partnership-demo"
PROJECT = "partnership"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
REQUEST_TIMEOUT = 30


@dataclass
class Results:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)
    created: dict[int, str] = field(default_factory=dict)  # excerpt id -> memo last acknowledged
    deleted: set[int] = field(default_factory=set)
    builds_queued: int = 0

    def record(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[status] += 1


class Coder:
    """One browser's session: a cookie jar, the CSRF token, and the interviews it codes."""

    def __init__(self, base: str, username: str, results: Results) -> None:
        self.base = base
        self.username = username
        self.results = results
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect, urllib.request.ProxyHandler({})
        )
        self.interviews: list[tuple[int, int]] = []  # (id, transcript length)
        self.code_ids: list[int] = []
        self.mine: list[int] = []

    def request(
        self, kind: str, method: str, path: str, body: dict | bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes]:
        headers = {"Accept": "application/json" if path.startswith("/api/") else "text/html", **(headers or {})}
        data = None
        if isinstance(body, dict):
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif body is not None:
            data = body
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if method not in {"GET", "HEAD"}:
            headers["X-CSRFToken"] = self.cookie("csrftoken")
            headers["Referer"] = self.base
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT) as response:
                status, content = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, content = error.code, error.read()
        except OSError as error:
            with self.results.lock:
                self.results.failures[f"{kind}: {type(error).__name__}"] += 1
            return 0, b""
        self.results.record(kind, time.perf_counter() - started, status)
        return status, content

    def cookie(self, name: str) -> str:
        return next((cookie.value for cookie in self.jar if cookie.name == name), "")

    def log_in(self) -> None:
        self.request("login page", "GET", "/accounts/login/")
        form = urllib.parse.urlencode(
            {"username": self.username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": self.cookie("csrftoken")}
        ).encode()
        status, _ = self.request("log in", "POST", "/accounts/login/", form)
        if status != 302 or not self.cookie("sessionid"):
            raise SystemExit(f"{self.username} could not log in (status {status}).")

    def find_work(self) -> None:
        """The interviews this user may see (from the pages, as a user finds them) and the project's codes."""
        pages = [f"/projects/{PROJECT}/", f"/projects/{PROJECT}/case-studies/"]
        ids: set[int] = set()
        for path in pages[:]:
            _, content = self.request("page", "GET", path)
            text = content.decode(errors="replace")
            ids.update(int(pk) for pk in re.findall(r'href="/interviews/(\d+)/', text))
            pages += re.findall(rf'href="(/projects/{PROJECT}/case-studies/[\w-]+/)"', text)
        for path in dict.fromkeys(pages[2:12]):
            _, content = self.request("page", "GET", path)
            ids.update(int(pk) for pk in re.findall(r'href="/interviews/(\d+)/', content.decode(errors="replace")))
        for pk in sorted(ids):
            status, content = self.request("list excerpts", "GET", f"/api/interviews/{pk}/excerpts")
            if status == 200:
                length = json.loads(content)["interview"]["length"]
                if length > 200:
                    self.interviews.append((pk, length))
        status, content = self.request("codes", "GET", f"/api/projects/{PROJECT}/codes")
        codes = json.loads(content)["codes"] if status == 200 else []
        self.code_ids = [code["id"] for code in codes if code["is_codable"] and not code["is_archived"]]
        if not self.interviews or not self.code_ids:
            raise SystemExit(f"{self.username} found no interview to code or no codes.")

    def work(self, requests: int, deadline: float, rng: random.Random) -> None:
        sent = 0
        step = 0
        while sent < requests and time.monotonic() < deadline:
            step += 1
            interview, length = rng.choice(self.interviews)
            if step % 5 == 0:
                self.request("coding page", "GET", f"/interviews/{interview}/code/")
            elif step % 5 == 2:
                self.request("list excerpts", "GET", f"/api/interviews/{interview}/excerpts")
            elif step % 5 == 3 and self.mine:
                pk = rng.choice(self.mine)
                memo = f"load-test edit {secrets.token_hex(4)}"
                status, _ = self.request("edit excerpt", "PATCH", f"/api/excerpts/{pk}", {"memo": memo})
                if status == 200:
                    with self.results.lock:
                        self.results.created[pk] = memo
            elif step % 10 == 4 and self.mine:
                pk = self.mine.pop(rng.randrange(len(self.mine)))
                status, _ = self.request("delete excerpt", "DELETE", f"/api/excerpts/{pk}")
                if status == 204:
                    with self.results.lock:
                        self.results.deleted.add(pk)
            else:
                start = rng.randrange(0, length - 100)
                body = {
                    "start": start,
                    "end": start + rng.randrange(20, 100),
                    "code_ids": rng.sample(self.code_ids, k=min(2, len(self.code_ids))),
                    "memo": "load-test",
                }
                status, content = self.request("create excerpt", "POST", f"/api/interviews/{interview}/excerpts", body)
                if status == 201:
                    pk = json.loads(content)["id"]
                    self.mine.append(pk)
                    with self.results.lock:
                        self.results.created[pk] = "load-test"
            sent += 1


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201
        return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_stack(workdir: Path, workers: int, source_db: Path | None) -> tuple[subprocess.Popen, str]:
    """The app as `make run` starts it, on its own database, media and static files under workdir."""
    database = workdir / "load.sqlite3"
    if source_db and source_db.is_file():
        with sqlite3.connect(source_db) as source, sqlite3.connect(database) as target:
            source.backup(target)
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        "HTTPS": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "DATABASE_URL": f"sqlite:///{database}",
        "VAR_DIR": str(workdir),
        "HOST": "127.0.0.1",
        "WEB_CONCURRENCY": str(workers),
        "LOG_LEVEL": "WARNING",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--no-input"], ["load_partnership_project", "--demo"], ["collectstatic", "--no-input"]):
        subprocess.run(
            manage + command + ["--verbosity", "0"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )
    log = open(workdir / "stack.log", "wb")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "honcho"), "start", "--env", "/dev/null", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"The stack stopped while starting; see {workdir / 'stack.log'}.")
        try:
            urllib.request.urlopen(base + "/accounts/login/", timeout=2).close()  # noqa: S310 (loopback)
            return process, base
        except OSError:
            time.sleep(0.2)
    stop_stack(process)
    raise SystemExit("The stack did not answer within 60 seconds.")


def stop_stack(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


CLUSTER_DATABASE = "postgres:///partnership_deploy_load"
CLUSTER_SERVERS = 2
CLUSTER_WORKERS = 2
LEADS = 2
BUILDS_PER_LEAD = 4


def cluster_env(workdir: Path, database_url: str, workers: int) -> dict[str, str]:
    env = {
        **os.environ,
        "DEBUG": "false",
        "HTTPS": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),  # one key shared by both servers, as in production
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "DATABASE_URL": database_url,
        "VAR_DIR": str(workdir),  # one media storage for both servers and both workers
        "WEB_CONCURRENCY": str(workers),
        "LOG_LEVEL": "WARNING",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def start_cluster(workdir: Path, workers: int, database_url: str) -> tuple[list[subprocess.Popen], list[str], dict]:
    """Two gunicorn app servers on two ports and two task workers, all on one PostgreSQL and one MEDIA_ROOT."""
    env = cluster_env(workdir, database_url, workers)
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--no-input"], ["load_partnership_project", "--demo"], ["collectstatic", "--no-input"]):
        subprocess.run(
            manage + command + ["--verbosity", "0"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )
    processes: list[subprocess.Popen] = []
    bases: list[str] = []

    def spawn(name: str, command: list[str]) -> None:
        log = open(workdir / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        processes.append(
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        )

    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    for n in range(1, CLUSTER_SERVERS + 1):
        port = free_port()
        bases.append(f"http://127.0.0.1:{port}")
        spawn(
            f"web-{n}",
            [gunicorn, "partnership.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--timeout",
             "120", "--control-socket", str(workdir / f"gunicorn-{n}.ctl")],
        )  # fmt: skip
    for n in range(1, CLUSTER_WORKERS + 1):
        spawn(f"worker-{n}", manage + ["worker", "--no-reload", "--worker-id", f"worker-{n}"])
    for base in bases:
        for _ in range(300):
            if any(process.poll() is not None for process in processes):
                stop_all(processes)
                raise SystemExit(f"A process of the cluster stopped while starting; see the logs in {workdir}.")
            try:
                urllib.request.urlopen(base + "/accounts/login/", timeout=2).close()  # noqa: S310 (loopback)
                break
            except OSError:
                time.sleep(0.2)
        else:
            stop_all(processes)
            raise SystemExit(f"{base} did not answer within 60 seconds.")
    return processes, bases, env


def stop_all(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Lead(Coder):
    """A lead who queues HTML builds of the project's papers now and then while the coders work."""

    def find_papers(self) -> list[int]:
        _, content = self.request("page", "GET", f"/projects/{PROJECT}/papers/")
        return sorted({int(pk) for pk in re.findall(r'href="/papers/(\d+)/', content.decode(errors="replace"))})

    def queue_builds(self, papers: list[int], count: int, deadline: float, rng: random.Random) -> None:
        spacing = max(1.0, (deadline - time.monotonic()) / (count + 1))
        for _ in range(count):
            pause = min(spacing, deadline - time.monotonic())
            if pause <= 0:
                return
            time.sleep(pause * rng.uniform(0.5, 1.0))
            form = urllib.parse.urlencode({"format": "html", "csrfmiddlewaretoken": self.cookie("csrftoken")}).encode()
            status, _ = self.request("queue build", "POST", f"/papers/{rng.choice(papers)}/builds/", form)
            if status == 302:
                with self.results.lock:
                    self.results.builds_queued += 1


BUILD_QUERY = """
import json
from django_tasks_db.models import DBTaskResult
from reports.models import PaperBuild
fields = ('id', 'paper_id', 'status', 'error', 'task_id', 'created_at', 'started_at', 'finished_at')
builds = list(PaperBuild.objects.filter(created_at__gte=SINCE).order_by('id').values(*fields))
ids = [b['task_id'] for b in builds if b['task_id']]
tasks = {str(t.id): t.worker_ids for t in DBTaskResult.objects.filter(id__in=ids)}
for b in builds:
    b['workers'] = tasks.get(b['task_id'], [])
    ran = b['finished_at'] and b['started_at']
    b['seconds'] = (b['finished_at'] - b['started_at']).total_seconds() if ran else None
    b['waited'] = (b['started_at'] - b['created_at']).total_seconds() if b['started_at'] else None
    for k in ('created_at', 'started_at', 'finished_at'): b.pop(k)
print(json.dumps(builds))
"""


def builds_since(env: dict, since: str) -> list[dict]:
    code = f"import datetime\nSINCE = datetime.datetime.fromisoformat({since!r})\n" + BUILD_QUERY
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def wait_for_builds(env: dict, since: str, limit: float = 120) -> list[dict]:
    """Builds queued during the run, once none is still queued or running (or after `limit` seconds)."""
    deadline = time.monotonic() + limit
    while True:
        builds = builds_since(env, since)
        if all(build["status"] not in {"queued", "running"} for build in builds) or time.monotonic() > deadline:
            return builds
        time.sleep(2)


def healthz(base: str) -> str:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=10) as response:  # noqa: S310 (loopback)
            return f"{response.status} {response.read().decode()}"
    except urllib.error.HTTPError as error:
        return f"{error.code} {error.read().decode()}"
    except OSError as error:
        return f"unreachable: {type(error).__name__}"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def verify(coders: list[Coder], results: Results) -> tuple[int, int, int]:
    """Rows the server holds for the acknowledged writes: excerpts present with the last memo, deleted ones gone."""
    expected = {pk: memo for pk, memo in results.created.items() if pk not in results.deleted}
    by_user = {coder.username: coder for coder in coders}
    found = mismatched = 0
    seen: set[int] = set()
    for coder in by_user.values():
        for interview, _ in coder.interviews:
            _, content = coder.request("verify", "GET", f"/api/interviews/{interview}/excerpts")
            for excerpt in json.loads(content)["excerpts"] if content else []:
                pk = excerpt["id"]
                if pk in seen or not excerpt["memo"].startswith("load-test"):
                    continue
                seen.add(pk)
                if pk in expected:
                    found += 1
                    mismatched += excerpt["memo"] != expected[pk]
                elif pk in results.deleted:
                    mismatched += 1
    return len(expected), found, mismatched


def clean_up(coders: list[Coder]) -> None:
    for coder in coders:
        for pk in coder.mine:
            coder.request("clean up", "DELETE", f"/api/excerpts/{pk}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--coders", type=int, help="simulated coders at once (default 20, at most 100)")
    parser.add_argument("--requests", type=int, default=40, help="requests per coder (default 40, at most 1000)")
    parser.add_argument("--seconds", type=float, help="stop after this long (default 120, at most 600)")
    parser.add_argument("--workers", type=int, help="gunicorn workers of each server it starts (default 4)")
    parser.add_argument("--url", help="a running server on the loopback instead, e.g. http://127.0.0.1:8000/")
    parser.add_argument(
        "--from-db", type=Path, default=ROOT / "var" / "partnership.sqlite3",
        help="SQLite database to copy for the stack it starts, if present (default var/partnership.sqlite3)",
    )  # fmt: skip
    parser.add_argument(
        "--cluster", action="store_true",
        help="two gunicorn servers and two task workers on PostgreSQL (defaults then: 50 coders, 60 s, 2 gunicorn "
        "workers a server)",
    )  # fmt: skip
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", CLUSTER_DATABASE),
        help=f"PostgreSQL for --cluster (default DATABASE_URL, else {CLUSTER_DATABASE})",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=1)
    parser.set_defaults(coders=None, seconds=None, workers=None)
    args = parser.parse_args()
    args.coders = args.coders or (50 if args.cluster else 20)
    args.seconds = args.seconds or (60 if args.cluster else 120)
    args.workers = args.workers or (2 if args.cluster else 4)
    if args.cluster and args.requests == 40:
        args.requests = 1000  # bounded by --seconds
    if args.cluster and args.url:
        parser.error("--cluster starts its own servers; leave out --url.")
    if args.cluster and not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--cluster needs a PostgreSQL DATABASE_URL.")
    if not (1 <= args.coders <= 100 and 1 <= args.requests <= 1000 and 0 < args.seconds <= 600):
        parser.error("--coders 1..100, --requests 1..1000 and --seconds up to 600 keep the run bounded.")

    process = None
    processes: list[subprocess.Popen] = []
    bases: list[str] = []
    env: dict = {}
    builds: list[dict] = []
    health: list[tuple[str, str]] = []
    workdir = tempfile.TemporaryDirectory(prefix="partnership-load-")
    if args.cluster:
        print(
            f"Starting {CLUSTER_SERVERS} gunicorn servers ({args.workers} workers each) and {CLUSTER_WORKERS} task "
            f"workers on {args.database_url}, migrating and loading the demo first…"
        )
        processes, bases, env = start_cluster(Path(workdir.name), args.workers, args.database_url)
        base = bases[0]
        print("Servers: " + ", ".join(bases))
    elif args.url:
        host = urllib.parse.urlsplit(args.url).hostname
        if host not in LOOPBACK:
            parser.error(f"--url must be a loopback address ({', '.join(sorted(LOOPBACK))}), not {host}.")
        base = args.url.rstrip("/")
        print(f"Server: {base}")
    else:
        print(f"Starting gunicorn ({args.workers} workers) and the task worker on a SQLite copy with the demo loaded…")
        process, base = start_stack(Path(workdir.name), args.workers, args.from_db)
        print(f"Server: {base} (Procfile under honcho, DEBUG off)")

    try:
        results = Results()
        servers = bases or [base]
        coders = [
            Coder(servers[i % len(servers)], DEMO_USERS[i % len(DEMO_USERS)], results) for i in range(args.coders)
        ]
        for coder in coders:
            coder.log_in()
            coder.find_work()
        leads = [Lead(servers[i % len(servers)], "lead", results) for i in range(LEADS if args.cluster else 0)]
        papers: list[int] = []
        for lead in leads:
            lead.log_in()
            papers = papers or lead.find_papers()
        if leads and not papers:
            raise SystemExit("The lead found no working paper to build.")
        results.latencies.clear()
        results.statuses.clear()
        since = subprocess.run(
            [sys.executable, "-c", "import datetime; print(datetime.datetime.now(datetime.UTC).isoformat())"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip

        deadline = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=coder.work, args=(args.requests, deadline, random.Random(args.seed * 1000 + i)))
            for i, coder in enumerate(coders)
        ] + [
            threading.Thread(
                target=lead.queue_builds, args=(papers, BUILDS_PER_LEAD, deadline, random.Random(args.seed + i))
            )
            for i, lead in enumerate(leads)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        latencies = {kind: list(values) for kind, values in results.latencies.items()}
        statuses = Counter(results.statuses)

        expected, found, mismatched = verify(coders, results)
        clean_up(coders)
        if args.cluster:
            builds = wait_for_builds(env, since)
            health = [(server, healthz(server)) for server in servers]
    finally:
        if process is not None:
            stop_stack(process)
        stop_all(processes)
        workdir.cleanup()

    total = sum(statuses.values())
    print(f"\n{args.coders} coders, {total} requests in {elapsed:.1f} s: {total / elapsed:.1f} requests/s")
    print(f"{'request':<16}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    every = [value for values in latencies.values() for value in values]
    for kind, values in sorted(latencies.items()) + [("all", every)]:
        if values:
            figures = [percentile(values, f) * 1000 for f in (0.5, 0.95, 0.99)]
            print(f"{kind:<16}{len(values):>7}" + "".join(f"{figure:>9.1f}" for figure in figures))
    print("statuses: " + ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items())))
    server_errors = sum(count for status, count in statuses.items() if status >= 500)
    print(f"5xx answers: {server_errors}")
    if results.failures:
        print("connection failures: " + ", ".join(f"{k}: {v}" for k, v in results.failures.items()))
    print(
        f"writes acknowledged: {len(results.created)} excerpts created, {len(results.deleted)} deleted, "
        f"{expected} expected to remain; rows found: {found}; memo or deletion mismatches: {mismatched}"
    )
    ok = server_errors == 0 and not results.failures and expected == found and mismatched == 0
    if args.cluster:
        print(f"paper builds queued: {results.builds_queued}; found: {len(builds)}")
        for build in builds:
            timing = f", waited {build['waited']:.1f} s, ran {build['seconds']:.1f} s" if build["seconds"] else ""
            workers = ", ".join(build["workers"]) or "none"
            error = f" ({build['error'][:100]})" if build["error"] else ""
            print(
                f"  build {build['id']} (paper {build['paper_id']}): {build['status']}, worker {workers}{timing}{error}"
            )
        by_worker = Counter(worker for build in builds for worker in build["workers"][-1:])
        print("builds per worker: " + (", ".join(f"{w}: {n}" for w, n in sorted(by_worker.items())) or "none"))
        for server, reading in health:
            print(f"healthz {server}: {reading}")
        ok = ok and len(builds) == results.builds_queued and all(b["status"] == "succeeded" for b in builds)
        ok = ok and all(reading.startswith("200 ") for _, reading in health)
    print(f"load average: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    print("OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
