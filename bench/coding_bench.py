"""Benchmark of the coding workbench: a 50,000-word transcript coded with 2,000 excerpts through the API.

    .venv/bin/python bench/coding_bench.py                      # SQLite (a temporary file)
    DATABASE_URL=postgres:///partnership .venv/bin/python bench/coding_bench.py   # PostgreSQL (test_partnership)
    .venv/bin/python bench/coding_bench.py --browser            # also load the page in Chromium

It builds its own throw-away database (Django's test database for the configured one), so it never touches
real data. Requests go through the full Django stack in process (middleware, session, CSRF, access checks,
JSON), without a network. It ends with one table: each step's median and p95 (wall clock), this process's CPU
time (the steadier figure on a shared machine), the target and whether the median meets it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")
os.environ.setdefault("DEBUG", "true")  # development settings (the fallback SECRET_KEY, plain HTTP), as before

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

WORDS = [
    "partnership",
    "council",
    "contract",
    "tender",
    "merger",
    "board",
    "tenants",
    "housing",
    "charity",
    "commissioner",
    "group",
    "trust",
    "funding",
    "consortium",
    "lender",
    "savings",
    "culture",
    "referrals",
    "outcomes",
    "volunteers",
    "community",
    "services",
    "staff",
    "we",
    "they",
    "it",
    "was",
    "were",
    "had",
    "have",
    "the",
    "a",
    "of",
    "and",
    "to",
    "in",
    "for",
    "on",
    "with",
    "that",
    "this",
    "but",
    "so",
    "really",
    "quite",
    "very",
    "think",
    "know",
    "said",
    "went",
    "came",
    "started",
    "changed",
    "worked",
    "agreed",
    "decided",
    "lost",
    "gained",
    "built",
    "shared",
]
EXTRAS = ["café", "naïve", "😀", "🤝", "合作", "شراكة", "שותפות", "Cafe\u0301"]


def transcript(words: int, rng: random.Random) -> str:
    turns = []
    count = 0
    speaker = 0
    while count < words:
        sentences = []
        for _ in range(rng.randint(1, 6) if speaker else 1):
            length = rng.randint(6, 22)
            chosen = [rng.choice(WORDS) for _ in range(length)]
            if rng.random() < 0.15:
                chosen[rng.randrange(length)] = rng.choice(EXTRAS)
            sentences.append(" ".join(chosen).capitalize() + rng.choice(".?."))
            count += length
        turns.append(("Ruth: " if speaker else "Interviewer: ") + " ".join(sentences))
        speaker = 1 - speaker
    return "\n\n".join(turns)


def timed(call) -> tuple[float, object]:
    began = time.perf_counter()
    result = call()
    return (time.perf_counter() - began) * 1000, result


def calibration() -> str:
    """How busy and how fast this machine is, so figures from different runs can be compared."""
    began = time.perf_counter()
    total = 0
    for n in range(3_000_000):
        total += n
    loop = (time.perf_counter() - began) * 1000
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return f"{loop:.0f} ms for a 3-million-step Python loop (about 100 ms on an idle modern core); load {load}"


def median_of(runs: int, call) -> float:
    return statistics.median(timed(call)[0] for _ in range(runs))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def word_starts(text: str) -> list[int]:
    return [i for i in range(len(text)) if text[i] != " " and (i == 0 or text[i - 1] in " \n")]


def post_excerpts(client: Client, interview, codes, count: int, rng: random.Random) -> list[float]:
    text = interview.transcript
    starts = word_starts(text)
    url = f"/api/interviews/{interview.pk}/excerpts"
    times = []
    cpu = []
    for _ in range(count):
        first = rng.randrange(len(starts) - 70)
        start = starts[first]
        end = starts[first + rng.randint(4, 60)] - 1
        body = json.dumps({"start": start, "end": end, "code_ids": rng.sample(codes, rng.randint(1, 3))})
        cpu_began = time.process_time()
        took, response = timed(lambda body=body: client.post(url, body, content_type="application/json"))
        cpu.append((time.process_time() - cpu_began) * 1000)
        if response.status_code != 201:
            raise SystemExit(f"POST failed: {response.status_code} {response.content[:300]!r}")
        times.append(took)
    return times, cpu


def browser_figures(interview, username: str, password: str) -> dict[str, float]:
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread
    from playwright.sync_api import sync_playwright

    server = LiveServerThread("127.0.0.1", StaticFilesHandler, connections_override=None, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    base = f"http://127.0.0.1:{server.port}"
    figures: dict[str, float] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{base}/accounts/login/")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Log in").click()
            loads = []
            for _ in range(3):
                page.goto(f"{base}/interviews/{interview.pk}/code/")
                page.wait_for_selector("#transcript[data-ready=true]", state="attached")
                page.wait_for_function("() => performance.getEntriesByName('coding:stripes').length > 0")
                loads.append(
                    page.evaluate(
                        """() => ({
                            ready: performance.getEntriesByName('coding:ready')[0].startTime,
                            highlights: performance.getEntriesByName('coding:highlights')[0].duration,
                            stripes: performance.getEntriesByName('coding:stripes')[0].duration,
                            spans: document.querySelectorAll('.hl').length,
                        })"""
                    )
                )
            if os.environ.get("BENCH_SCREENSHOT"):
                page.screenshot(path=os.environ["BENCH_SCREENSHOT"])
            figures["page ready in Chromium (navigation to highlights drawn)"] = statistics.median(
                x["ready"] for x in loads
            )
            figures["first drawing of all highlights (JS)"] = statistics.median(x["highlights"] for x in loads)
            figures["coding stripes (JS)"] = statistics.median(x["stripes"] for x in loads)
            figures["highlight segments on the page"] = loads[-1]["spans"]
            # Responsiveness: code a sentence by keyboard and time it until the highlight is drawn.
            page.locator("#transcript").focus()
            applied = []
            drawn = page.evaluate("() => performance.getEntriesByName('coding:highlights').length")
            for _ in range(5):
                page.keyboard.press("j")
                page.keyboard.press("Enter")
                page.keyboard.type("Code 1")
                began = time.perf_counter()
                page.keyboard.press("Enter")
                page.wait_for_function(
                    "(n) => performance.getEntriesByName('coding:highlights').length > n", arg=drawn + 1
                )
                drawn = page.evaluate("() => performance.getEntriesByName('coding:highlights').length")
                applied.append((time.perf_counter() - began) * 1000)
                page.locator("#transcript").focus()
            redraws = page.evaluate(
                "() => performance.getEntriesByName('coding:highlights').slice(1).map((e) => e.duration)"
            )
            figures["apply a code by keyboard until drawn (median of 5, incl. POST)"] = statistics.median(applied)
            figures["redraw after a change (JS, median)"] = statistics.median(redraws)
            browser.close()
    finally:
        server.terminate()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=50_000)
    parser.add_argument("--excerpts", type=int, default=2_000)
    parser.add_argument("--huge-words", type=int, default=200_000, help="the transcript for the flatness check")
    parser.add_argument("--browser", action="store_true", help="also time the page in Chromium (Playwright)")
    options = parser.parse_args()

    setup_test_environment()
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        # A file, as in production use, rather than the in-memory test database.
        database.setdefault("TEST", {})["NAME"] = str(Path(tempfile.mkdtemp()) / "coding-bench.sqlite3")
    # Persistent connections, as in production: a connection per request would time the connecting.
    database["CONN_MAX_AGE"] = None
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        run(options)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


TARGETS = {
    "create an excerpt, 50,000 words": 8.0,
    "create an excerpt, 1,000 words": 8.0,
    "create a code": 5.0,
    "code + sub-codes, first page": 20.0,
    "code + sub-codes, every page": 150.0,
    "codebook .qdc": 5.0,
    "all excerpts .xlsx": 250.0,
    "coding page HTML + data": 60.0,
}
MEMORY_TARGET_MIB = 200.0


def summary(times: list[float]) -> tuple[float, float]:
    return statistics.median(times), percentile(times, 0.95)


def repeat(runs: int, call) -> list[float]:
    return [timed(call)[0] for _ in range(runs)]


def get_ok(client: Client, url: str) -> bytes:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} failed: {response.status_code} {response.content[:300]!r}")
    return b"".join(response) if response.streaming else response.content


def peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(options) -> None:
    from casestudies.models import (
        CaseStudy,
        Interview,
        Organisation,
        Participant,
        ProjectMembership,
        ProjectRole,
        ResearchProject,
    )
    from casestudies.services import record_turns
    from coding import services
    from coding.models import Code, Excerpt

    rng = random.Random(2011)
    user = get_user_model().objects.create_user("bench", password="bench-password-2011")
    project = ResearchProject.objects.create(title="Bench", slug="bench")
    ProjectMembership.objects.create(project=project, user=user, role=ProjectRole.LEAD)
    case_study = CaseStudy.objects.create(project=project, title="Bench case", slug="bench-case")
    organisation = Organisation.objects.create(project=project, name="Bench trust", sector="third", kind="Trust")
    ruth = Participant.objects.create(
        project=project, pseudonym="Ruth", real_name="Ruth Ellis", organisation=organisation, consent_to_quote=True
    )
    long_text = transcript(options.words, rng)
    long = Interview.objects.create(project=project, case_study=case_study, title="Long", transcript=long_text)
    short = Interview.objects.create(
        project=project, case_study=case_study, title="Short", transcript=transcript(1_000, rng)
    )
    huge = Interview.objects.create(
        project=project, case_study=case_study, title="Huge", transcript=transcript(options.huge_words, rng)
    )
    for interview in (long, short, huge):
        interview.participants.add(ruth)
        record_turns(interview=interview)
    # 24 codes as in the comparison with Taguette: four codable groups of five sub-codes each.
    codes = []
    groups = []
    for group in range(4):
        parent = services.create_code(project=project, name=f"Group {group}", created_by=user)
        groups.append(parent.pk)
        codes.append(parent.pk)
        for n in range(5):
            code = services.create_code(project=project, name=f"Code {group * 5 + n}", parent=parent, created_by=None)
            codes.append(code.pk)

    client = Client()
    client.force_login(user)
    client.get(f"/api/interviews/{short.pk}/excerpts")  # warm up

    print(f"Database: {connection.vendor}; Python {sys.version.split()[0]}; Django {django.get_version()}")
    print(f"Machine: {calibration()}")
    print(f"Transcript: {len(long_text.split()):,} words, {len(long_text):,} code points; {len(codes)} codes.")
    print()
    figures: dict[str, tuple[float, float]] = {}
    cpu: dict[str, float] = {}
    short_times, short_cpu = post_excerpts(client, short, codes, 200, rng)
    huge_times, huge_cpu = post_excerpts(client, huge, codes, 200, rng)
    long_times, long_cpu = post_excerpts(client, long, codes, options.excerpts, rng)
    figures["create an excerpt, 50,000 words"] = summary(long_times)
    cpu["create an excerpt, 50,000 words"] = statistics.median(long_cpu)
    figures["create an excerpt, 1,000 words"] = summary(short_times)
    cpu["create an excerpt, 1,000 words"] = statistics.median(short_cpu)
    figures[f"create an excerpt, {options.huge_words:,} words"] = summary(huge_times)
    cpu[f"create an excerpt, {options.huge_words:,} words"] = statistics.median(huge_cpu)
    assert Excerpt.objects.filter(interview=long).count() == options.excerpts
    # Only the long transcript's excerpts count in the exports and retrieval pages below.
    Excerpt.objects.filter(interview__in=[short, huge]).delete()

    url = f"/api/projects/{project.slug}/codes"
    made = []
    made_cpu = []
    for n in range(100):
        body = json.dumps({"name": f"New code {n}", "parent_id": rng.choice(groups)})
        began = time.process_time()
        took, response = timed(lambda body=body: client.post(url, body, content_type="application/json"))
        made_cpu.append((time.process_time() - began) * 1000)
        if response.status_code != 201:
            raise SystemExit(f"POST failed: {response.status_code} {response.content[:300]!r}")
        made.append(took)
    figures["create a code"] = summary(made)
    cpu["create a code"] = statistics.median(made_cpu)
    Code.objects.filter(name__startswith="New code").delete()

    busiest = max(
        groups,
        key=lambda pk: Excerpt.objects.filter(codes__in=[pk, *Code.objects.filter(parent=pk)]).distinct().count(),
    )
    total = Excerpt.objects.filter(codes__in=[busiest, *Code.objects.filter(parent=busiest)]).distinct().count()
    first_page = f"/codes/{busiest}/?subcodes=include"
    pages = -(-total // 25)

    def every_page() -> None:
        for page in range(1, pages + 1):
            get_ok(client, f"{first_page}&page={page}")

    def coding_page() -> None:
        get_ok(client, f"/interviews/{long.pk}/code/")
        get_ok(client, f"/api/interviews/{long.pk}/excerpts")

    reads = [
        ("code + sub-codes, first page", lambda: get_ok(client, first_page), 15),
        ("code + sub-codes, every page", every_page, 5),
        ("codebook .qdc", lambda: get_ok(client, f"/projects/{project.slug}/exchange/export.qdc"), 15),
        (
            "all excerpts .xlsx",
            lambda: get_ok(client, f"/projects/{project.slug}/analysis/excerpts/?format=xlsx"),
            7,
        ),
        ("coding page HTML + data", coding_page, 11),
    ]
    for label, call, runs in reads:
        call()
        began = time.process_time()
        times = repeat(runs, call)
        cpu[label] = (time.process_time() - began) * 1000 / runs
        figures[label] = summary(times)
    # Every other page once, for the peak memory of a process that has served them all.
    for other in (
        f"/projects/{project.slug}/codebook/",
        f"/api/projects/{project.slug}/codes",
        f"/projects/{project.slug}/analysis/",
        f"/projects/{project.slug}/analysis/excerpts/",
        f"/projects/{project.slug}/analysis/excerpts/?format=csv",
        f"/projects/{project.slug}/analysis/co-occurrence/",
        f"/projects/{project.slug}/exchange/export.qdpx",
    ):
        client.get(other)

    print(f"{total} excerpts under the busiest group and its sub-codes ({pages} pages).")
    print(f"{'step':40} {'median':>9} {'p95':>9} {'CPU mean':>9} {'target':>9}  met?")
    for label, (median, p95) in figures.items():
        target = TARGETS.get(label)
        if label.startswith("create an excerpt") and target is None:
            base = figures["create an excerpt, 1,000 words"][0]
            ratio = median / base
            met = f"{'yes' if ratio <= 1.10 else 'no'} ({ratio:.2f}× the 1,000-word figure; ≤ 1.10)"
            shown = "±10 %"
        else:
            met = "yes" if median <= target else "no"
            shown = f"{target:.0f} ms"
        spent = f"{cpu[label]:.1f}" if label in cpu else "-"
        print(f"{label:40} {median:6.1f} ms {p95:6.1f} ms {spent:>6} ms {shown:>9}  {met}")
    memory = peak_mib()
    print(
        f"{'peak memory of this process (ru_maxrss)':40} {memory:6.0f} MiB {'':>9} {'':>9} "
        f"{MEMORY_TARGET_MIB:5.0f} MiB  {'yes' if memory <= MEMORY_TARGET_MIB else 'no'}"
    )
    print(f"load after the run: {', '.join(f'{value:.1f}' for value in os.getloadavg())}")

    if options.browser:
        print()
        print("In Chromium (headless, this machine; median of 3 loads):")
        for label, value in browser_figures(long, "bench", "bench-password-2011").items():
            unit = "" if "segments" in label else " ms"
            print(f"  {value:7.1f}{unit}  {label}")


if __name__ == "__main__":
    main()
