"""Benchmark of the coding workbench: a 50,000-word transcript coded with 2,000 excerpts through the API.

    .venv/bin/python bench/coding_bench.py                      # SQLite (a temporary file)
    DATABASE_URL=postgres:///partnership .venv/bin/python bench/coding_bench.py   # PostgreSQL (test_partnership)
    .venv/bin/python bench/coding_bench.py --browser            # also load the page in Chromium

It builds its own throw-away database (Django's test database for the configured one), so it never touches
real data. Requests go through the full Django stack in process (middleware, session, CSRF, access checks,
JSON), without a network. Targets: creating an excerpt, median under 10 ms whatever the transcript's length;
the coding page's excerpt data for 2,000 excerpts under 150 ms.
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
    parser.add_argument("--browser", action="store_true", help="also time the page in Chromium (Playwright)")
    options = parser.parse_args()

    setup_test_environment()
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        # A file, as in production use, rather than the in-memory test database.
        database.setdefault("TEST", {})["NAME"] = str(Path(tempfile.mkdtemp()) / "coding-bench.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        run(options)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(options) -> None:
    from casestudies.models import CaseStudy, Interview, ProjectMembership, ProjectRole, ResearchProject
    from coding import services
    from coding.models import Code, Excerpt

    rng = random.Random(2011)
    user = get_user_model().objects.create_user("bench", password="bench-password-2011")
    project = ResearchProject.objects.create(title="Bench", slug="bench")
    ProjectMembership.objects.create(project=project, user=user, role=ProjectRole.LEAD)
    case_study = CaseStudy.objects.create(project=project, title="Bench case", slug="bench-case")
    long_text = transcript(options.words, rng)
    long = Interview.objects.create(project=project, case_study=case_study, title="Long", transcript=long_text)
    short = Interview.objects.create(
        project=project, case_study=case_study, title="Short", transcript=transcript(1_000, rng)
    )
    codes = []
    for group in range(20):
        parent = services.create_code(project=project, name=f"Group {group}", created_by=user, is_codable=False)
        for n in range(10):
            code = services.create_code(project=project, name=f"Code {group * 10 + n}", parent=parent, created_by=None)
            codes.append(code.pk)

    client = Client()
    client.force_login(user)
    client.get(f"/api/interviews/{short.pk}/excerpts")  # warm up

    print(f"Database: {connection.vendor}; Python {sys.version.split()[0]}; Django {django.get_version()}")
    print(f"Machine: {calibration()}")
    print(f"Transcript: {len(long_text.split()):,} words, {len(long_text):,} code points; {len(codes)} codes.")
    print()
    short_times, short_cpu = post_excerpts(client, short, codes, 200, rng)
    long_times, long_cpu = post_excerpts(client, long, codes, options.excerpts, rng)
    print(f"Create an excerpt (POST /api/interviews/{{id}}/excerpts), {options.excerpts:,} on the long transcript:")
    print(
        f"  median {statistics.median(long_times):6.1f} ms   p95 {percentile(long_times, 0.95):6.1f} ms"
        f"   (this process's CPU: median {statistics.median(long_cpu):.1f} ms)"
    )
    print("  the same on a 1,000-word transcript (200 excerpts):")
    print(
        f"  median {statistics.median(short_times):6.1f} ms   p95 {percentile(short_times, 0.95):6.1f} ms"
        f"   (this process's CPU: median {statistics.median(short_cpu):.1f} ms)"
    )
    print()
    assert Excerpt.objects.filter(interview=long).count() == options.excerpts

    busiest = max(codes, key=lambda pk: Code.objects.get(pk=pk).excerpt_links.count())
    rows = [
        ("Coding page HTML (GET /interviews/{id}/code/)", f"/interviews/{long.pk}/code/"),
        (
            f"Excerpt data, {options.excerpts:,} excerpts (GET /api/interviews/{{id}}/excerpts)",
            f"/api/interviews/{long.pk}/excerpts",
        ),
        ("Codebook data (GET /api/projects/{slug}/codes)", f"/api/projects/{project.slug}/codes"),
        ("One code's retrieval page (GET /codes/{id}/)", f"/codes/{busiest}/"),
        ("Codebook page with counts (GET /projects/{slug}/codebook/)", f"/projects/{project.slug}/codebook/"),
    ]
    print("Reads (median of 7):")
    for label, url in rows:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        print(f"  {median_of(7, lambda url=url: client.get(url)):7.1f} ms  {label}  [{len(response.content):,} bytes]")

    if options.browser:
        print()
        print("In Chromium (headless, this machine; median of 3 loads):")
        for label, value in browser_figures(long, "bench", "bench-password-2011").items():
            unit = "" if "segments" in label else " ms"
            print(f"  {value:7.1f}{unit}  {label}")


if __name__ == "__main__":
    main()
