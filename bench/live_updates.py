"""Coding together: what 50 open coding pages cost the server, and how long a coder's change takes to show on a
colleague's page.

It starts the app as `make run` does (gunicorn with sync workers and the task worker under honcho, DEBUG off) on a
SQLite copy with the demo loaded (as `bench/load.py` does), then:

1. opens --pages coding pages (default 50) on one interview, as the demo's users in turn; each asks what changed
   every second, as the page's script does (`?since=` with If-None-Match). For --seconds (default 20) nothing
   changes: it prints the requests a second, how many answered 304, their latency, and the CPU the gunicorn
   processes used (from /proc), before and while the pages are open;
2. opens the same interview in Chromium as the lead, and has the researcher code --events passages (default 20)
   through the API, one every 1.5 s, while the 50 pages keep asking. For each it times from the moment the
   server acknowledged the write to the moment the lead's page counts the new excerpt: it prints the median,
   the 90th percentile and the longest.

    .venv/bin/python bench/live_updates.py
    .venv/bin/python bench/live_updates.py --pages 50 --workers 4 --seconds 20 --events 20
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import ROOT, Coder, Results, start_stack, stop_stack  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
USERS = ("researcher", "lead", "admin")
POLL_SECONDS = 1.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def gunicorn_cpu_seconds(root: int) -> float:
    """User and system CPU time of the gunicorn processes (master and workers) descended from the stack's process."""
    processes = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        processes[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]), b"gunicorn" in command)
    total = 0
    for pid, (parent, ticks, is_gunicorn) in processes.items():
        ancestor = parent
        while ancestor not in (0, 1, root) and ancestor in processes:
            ancestor = processes[ancestor][0]
        if is_gunicorn and ancestor == root and pid != root:
            total += ticks
    return total / CLOCK_TICKS


class Page:
    """One open coding page: its session, and the version it holds."""

    def __init__(self, coder: Coder, interview: int) -> None:
        self.coder = coder
        self.url = f"/api/interviews/{interview}/excerpts"
        status, content = coder.request("first read", "GET", self.url)
        if status != 200:
            raise SystemExit(f"{coder.username} could not read interview {interview} ({status}).")
        self.version = json.loads(content)["version"]

    def ask(self) -> None:
        path = f"{self.url}?since={self.version}"
        status, content = self.coder.request("ask", "GET", path, headers={"If-None-Match": f'"{self.version}"'})
        if status == 200:
            self.version = json.loads(content)["version"]

    def keep_asking(self, stop: threading.Event, rng: random.Random) -> None:
        # Pages opened at different moments ask at different moments.
        stop.wait(rng.random() * POLL_SECONDS)
        while not stop.is_set():
            began = time.monotonic()
            self.ask()
            stop.wait(max(0.0, POLL_SECONDS - (time.monotonic() - began)))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=50, help="coding pages open at once (default 50, at most 200)")
    parser.add_argument("--seconds", type=float, default=20, help="how long to measure them idle (default 20)")
    parser.add_argument("--events", type=int, default=20, help="passages coded for the delay (default 20)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4, as make run)")
    parser.add_argument(
        "--from-db", type=Path, default=ROOT / "var" / "partnership.sqlite3",
        help="SQLite database to copy, if present (default var/partnership.sqlite3; else the demo is loaded)",
    )  # fmt: skip
    args = parser.parse_args()
    if not (1 <= args.pages <= 200 and 0 < args.seconds <= 300 and 1 <= args.events <= 100):
        parser.error("--pages 1..200, --seconds up to 300 and --events 1..100 keep the run bounded.")

    workdir = tempfile.TemporaryDirectory(prefix="partnership-live-")
    print(f"Starting gunicorn ({args.workers} sync workers) and the task worker on a SQLite copy of the demo…")
    process, base = start_stack(Path(workdir.name), args.workers, args.from_db)
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        results = Results()
        writer = Coder(base, "researcher", results)
        writer.log_in()
        writer.find_work()
        interview, length = max(writer.interviews, key=lambda pair: pair[1])
        pages = []
        for index in range(args.pages):
            coder = Coder(base, USERS[index % len(USERS)], results)
            coder.log_in()
            pages.append(Page(coder, interview))

        idle_started = time.monotonic()
        cpu_before = gunicorn_cpu_seconds(process.pid)
        time.sleep(min(5.0, args.seconds))
        idle_cpu = (gunicorn_cpu_seconds(process.pid) - cpu_before) / (time.monotonic() - idle_started)

        results.latencies.clear()
        results.statuses.clear()
        threads = [
            threading.Thread(target=page.keep_asking, args=(stop, random.Random(index)), daemon=True)
            for index, page in enumerate(pages)
        ]
        for thread in threads:
            thread.start()
        time.sleep(2)  # every page has asked once
        results.latencies.clear()
        results.statuses.clear()
        began, cpu_before = time.monotonic(), gunicorn_cpu_seconds(process.pid)
        time.sleep(args.seconds)
        elapsed = time.monotonic() - began
        cpu = (gunicorn_cpu_seconds(process.pid) - cpu_before) / elapsed
        with results.lock:
            asks = list(results.latencies["ask"])
            statuses = dict(results.statuses)

        delays = measure_delays(base, writer, interview, length, args.events)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        stop_stack(process)
        workdir.cleanup()

    answered = sum(statuses.values())
    print(f"\n{args.pages} coding pages open on one interview ({length:,} characters), each asking every second:")
    answers = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
    print(f"  requests: {answered / elapsed:.1f} a second; answers {answers}")
    p50, p95, p99 = (1000 * percentile(asks, fraction) for fraction in (0.5, 0.95, 0.99))
    print(f"  latency of an ask: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms")
    print(
        f"  gunicorn CPU: {100 * idle_cpu:.1f}% of a core with no page open, {100 * cpu:.1f}% with {args.pages} open "
        f"({1000 * (cpu - idle_cpu) * elapsed / max(1, answered):.2f} ms of CPU an ask)"
    )
    print(f"\nDelay from a write acknowledged to a colleague's page showing it, over {len(delays)} events:")
    print(
        f"  median {1000 * statistics.median(delays):.0f} ms, p90 {1000 * percentile(delays, 0.9):.0f} ms, "
        f"longest {1000 * max(delays):.0f} ms"
    )


def measure_delays(base: str, writer: Coder, interview: int, length: int, events: int) -> list[float]:
    """The lead's coding page in Chromium; the researcher codes passages through the API one at a time."""
    from playwright.sync_api import sync_playwright

    delays = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("Username").fill("lead")
        page.get_by_label("Password").fill("partnership-demo")
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{base}/interviews/{interview}/code/")
        page.wait_for_selector("#transcript[data-ready=true]")
        count = """() => Number((document.getElementById('excerpt-summary').textContent.match(/\\d+/) || [0])[0])"""
        rng = random.Random(7)
        for _ in range(events):
            before = page.evaluate(count)
            start = rng.randrange(0, length - 200)
            body = {"start": start, "end": start + rng.randrange(30, 150), "code_ids": writer.code_ids[:1]}
            status, _ = writer.request("create", "POST", f"/api/interviews/{interview}/excerpts", body)
            acknowledged = time.monotonic()
            if status != 201:
                raise SystemExit(f"The write was refused ({status}).")
            page.wait_for_function(f"n => ({count})() > n", arg=before, timeout=10_000, polling="raf")
            delays.append(time.monotonic() - acknowledged)
            time.sleep(1.5)
        browser.close()
    return delays


if __name__ == "__main__":
    main()
