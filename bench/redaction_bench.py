"""Benchmark: redacting one name across a 200-interview project (the analysis benchmark's data: 200 interviews,
100,000 excerpts, speaker turns recorded).

    .venv/bin/python bench/redaction_bench.py                 # SQLite file under var/bench/, built once
    DATABASE_URL=postgres:///bench_analysis .venv/bin/python bench/redaction_bench.py

A name, typed once into one turn of every interview, is redacted across the project as a lead does it from the
redaction page: the plan (each interview's new text, the fate of its excerpts and the check that no turn changes
speaker) and then applying it (text, excerpts, recorded turns, the record of the correction, all in one
transaction). A speaker's label is redacted too, in the interviews where the participant speaks. Everything is
rolled back afterwards, so the data stays as built. Prints the seconds each step takes and what it changed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import analysis_bench  # noqa: E402  (sets up Django and the database as that benchmark does)
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from casestudies.models import Interview, ResearchProject, SpeakerTurn  # noqa: E402
from casestudies.services import record_turns  # noqa: E402
from coding import corrections  # noqa: E402
from disclosure.passages import PassageReader  # noqa: E402

NAME = "Marguerite Featherstonehaugh"


class Rollback(Exception):
    pass


def seed_name(project: ResearchProject) -> list[Interview]:
    """The name typed into the first participant turn of every interview (turns recorded again, as a correction
    would)."""
    interviews = list(Interview.objects.filter(project=project).order_by("pk"))
    for interview in interviews:
        marker = "\n\nPerson"
        at = interview.transcript.index(marker) + len(marker)
        colon = interview.transcript.index(": ", at) + 2
        interview.transcript = f"{interview.transcript[:colon]}{NAME} said so. {interview.transcript[colon:]}"
        Interview.objects.filter(pk=interview.pk).update(transcript=interview.transcript)
        record_turns(interview=interview)
    return interviews


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    call_command("migrate", verbosity=0)
    project = ResearchProject.objects.filter(slug=analysis_bench.SLUG).first()
    if project is None:
        started = time.perf_counter()
        project = analysis_bench.build()
        print(f"Built the benchmark data in {time.perf_counter() - started:.0f} s")
    lead = get_user_model().objects.get(username="bench-lead")
    print(f"Database: {connection.vendor}; {Interview.objects.filter(project=project).count()} interviews")
    try:
        with transaction.atomic():
            interviews = seed_name(project)
            started = time.perf_counter()
            redaction = corrections.plan_redaction(
                interviews[0],
                phrase=NAME,
                replacement="board chair",
                scope="project",
                start=None,
                interviews=interviews,
            )
            planned = time.perf_counter() - started
            started = time.perf_counter()
            records = corrections.apply_redaction(redaction, user=lead)
            applied = time.perf_counter() - started
            kept = sum(record.kept for record in records)
            review = sum(record.needing_review for record in records)
            print(f"Redact a name in {len(records)} interviews: plan {planned:.2f} s, apply {applied:.2f} s")
            print(f"  excerpts: {kept:,} kept, {review:,} to review; {SpeakerTurn.objects.count():,} turns on record")
            assert not Interview.objects.filter(project=project, transcript__contains=NAME).exists()

            speaker = "Person7"
            target = Interview.objects.filter(project=project, transcript__contains=f"\n{speaker}:")
            target = list(target.order_by("pk"))
            started = time.perf_counter()
            redaction = corrections.plan_redaction(
                target[0], phrase=speaker, replacement="manager", scope="project", start=None, interviews=target
            )
            records = corrections.apply_redaction(redaction, user=lead)
            took = time.perf_counter() - started
            reader = PassageReader([target[0].pk])
            text = Interview.objects.get(pk=target[0].pk).transcript
            said = text.index("[manager]: ") + len("[manager]: ")
            who = reader.passage(target[0].pk, said, said + 20).speaker_label
            print(
                f"Redact a speaker's label in {len(records)} interview(s): plan and apply {took:.2f} s; "
                f"the turn is still {who}'s"
            )
            raise Rollback
    except Rollback:
        print("Rolled back: the benchmark data is as built.")


if __name__ == "__main__":
    main()
