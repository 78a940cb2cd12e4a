"""Concurrent edits of one excerpt: versions, ETag and If-Match, and row locks.

The first tests run on any database and check what one client sees. The threaded tests send pairs of
simultaneous requests from real threads, each with its own database connection; they need PostgreSQL (SQLite
serialises whole transactions, so the races cannot happen there) and run in CI, where DATABASE_URL is
PostgreSQL.
"""

from __future__ import annotations

import json
import threading
from functools import partial

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from coding import services
from coding.models import Excerpt, ExcerptCode, Memo
from tests.factories import make_case_study, make_code, make_excerpt, make_interview, make_project, make_researcher

TEXT = "Interviewer: How did the partnership start? 🤝\n\nRuth: With a phone call, really. Then money 📉."
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
TRIALS = 40


def make_world() -> dict:
    project = make_project()
    case_study = make_case_study(project)
    interview = make_interview(case_study, transcript=TEXT)
    coder = make_researcher(project, case_study)
    a, b, c = (make_code(project, name=name) for name in ("Trust", "Money", "Risk"))
    return {"project": project, "interview": interview, "coder": coder, "a": a, "b": b, "c": c}


@pytest.fixture
def world(db):
    return make_world()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(excerpt) -> str:
    return f"/api/excerpts/{excerpt.pk}"


def patch(client: Client, excerpt, body: dict, *, if_match: str | None = None):
    headers = {"If-Match": if_match} if if_match is not None else {}
    return client.patch(url(excerpt), data=json.dumps(body), content_type="application/json", headers=headers)


def delete(client: Client, excerpt, *, if_match: str | None = None):
    headers = {"If-Match": if_match} if if_match is not None else {}
    return client.delete(url(excerpt), headers=headers)


def code_ids(excerpt) -> set[int]:
    return set(ExcerptCode.objects.filter(excerpt_id=excerpt.pk).values_list("code_id", flat=True))


def test_get_answers_the_version_as_etag_and_each_write_moves_it_on(world):
    excerpt = make_excerpt(world["interview"], start=0, end=12, coded_by=world["coder"])
    client = client_for(world["coder"])
    got = client.get(url(excerpt))
    assert got["ETag"] == '"1"'
    assert got.json()["version"] == 1
    changed = patch(client, excerpt, {"memo": "Trust first"}, if_match='"1"')
    assert changed.status_code == 200
    assert changed["ETag"] == '"2"'
    assert changed.json()["version"] == 2
    recoded = patch(client, excerpt, {"code_ids": [world["a"].pk]}, if_match='"2"')
    assert recoded["ETag"] == '"3"'
    listed = client.get(f"/api/interviews/{world['interview'].pk}/excerpts").json()["excerpts"]
    assert [(row["id"], row["version"]) for row in listed] == [(excerpt.pk, 3)]


def test_a_stale_if_match_is_refused_with_the_current_state_and_nothing_written(world):
    excerpt = make_excerpt(world["interview"], start=0, end=12, coded_by=world["coder"], memo="mine")
    client = client_for(world["coder"])
    assert patch(client, excerpt, {"memo": "theirs", "code_ids": [world["b"].pk]}).status_code == 200
    stale = patch(client, excerpt, {"memo": "mine, edited", "code_ids": [world["a"].pk]}, if_match='"1"')
    assert stale.status_code == 412
    assert stale["ETag"] == '"2"'
    body = stale.json()
    assert body["detail"] == (
        "This excerpt has been changed by someone else since you loaded it (it is now version 2). "
        "Nothing was saved: look at the current state and apply your change again."
    )
    assert body["current"]["memo"] == "theirs"
    assert body["current"]["code_ids"] == [world["b"].pk]
    assert body["current"]["version"] == 2
    stored = Excerpt.objects.get(pk=excerpt.pk)
    assert (stored.memo, stored.version, code_ids(excerpt)) == ("theirs", 2, {world["b"].pk})
    # Reapplied on the current version, it goes through.
    again = patch(client, excerpt, {"memo": "mine, edited"}, if_match=stale["ETag"])
    assert again.status_code == 200
    assert Excerpt.objects.get(pk=excerpt.pk).memo == "mine, edited"


def test_a_stale_delete_is_refused_and_the_excerpt_stays(world):
    excerpt = make_excerpt(world["interview"], start=0, end=12, coded_by=world["coder"])
    client = client_for(world["coder"])
    patch(client, excerpt, {"is_key_quote": True})
    refused = delete(client, excerpt, if_match='"1"')
    assert refused.status_code == 412
    assert refused.json()["current"]["is_key_quote"] is True
    assert Excerpt.objects.filter(pk=excerpt.pk).exists()
    assert delete(client, excerpt, if_match='"2"').status_code == 204
    assert not Excerpt.objects.filter(pk=excerpt.pk).exists()


@pytest.mark.parametrize("header", ['"abc"', "W/", '"99999999999999999999"', '""'])
def test_an_unreadable_if_match_matches_no_version(world, header):
    excerpt = make_excerpt(world["interview"], start=0, end=12, coded_by=world["coder"], memo="kept")
    response = patch(client_for(world["coder"]), excerpt, {"memo": "lost"}, if_match=header)
    assert response.status_code == 412
    assert Excerpt.objects.get(pk=excerpt.pk).memo == "kept"


def test_without_if_match_old_clients_still_write(world):
    excerpt = make_excerpt(world["interview"], start=0, end=12, coded_by=world["coder"])
    client = client_for(world["coder"])
    assert patch(client, excerpt, {"memo": "one"}).status_code == 200
    assert patch(client, excerpt, {"memo": "two"}, if_match="*").status_code == 200
    assert Excerpt.objects.get(pk=excerpt.pk).memo == "two"


def test_code_ids_replace_exactly_and_the_same_list_twice_changes_nothing(world):
    excerpt = make_excerpt(world["interview"], start=0, end=12, coded_by=world["coder"], codes=[world["a"]])
    client = client_for(world["coder"])
    body = {"code_ids": [world["b"].pk, world["c"].pk]}
    first, second = patch(client, excerpt, body), patch(client, excerpt, body)
    assert (first.status_code, second.status_code) == (200, 200)
    assert code_ids(excerpt) == {world["b"].pk, world["c"].pk}
    assert ExcerptCode.objects.filter(excerpt_id=excerpt.pk).count() == 2


def test_a_patch_after_a_delete_answers_404(world):
    excerpt = make_excerpt(world["interview"], start=0, end=12, coded_by=world["coder"])
    client = client_for(world["coder"])
    assert delete(client, excerpt).status_code == 204
    assert patch(client, excerpt, {"memo": "too late"}).status_code == 404


def test_the_service_refuses_to_write_an_excerpt_deleted_after_it_was_loaded(world):
    excerpt = make_excerpt(world["interview"], start=0, end=12, coded_by=world["coder"])
    loaded = Excerpt.objects.select_related("interview").get(pk=excerpt.pk)
    Excerpt.objects.filter(pk=excerpt.pk).delete()
    with pytest.raises(Excerpt.DoesNotExist):
        services.update_excerpt(excerpt=loaded, changed_by=world["coder"], codes=[world["a"]], memo="x")
    assert not ExcerptCode.objects.exists()


def test_memos_carry_a_version_and_refuse_an_edit_on_an_older_one(world):
    memo = services.save_memo(project=world["project"], author=world["coder"], text="First thoughts")
    assert memo.version == 1
    edited = services.save_memo(
        project=world["project"], author=world["coder"], memo=memo, text="Second thoughts", expected_version=1
    )
    assert edited.version == 2
    old_copy = Memo.objects.get(pk=memo.pk)
    old_copy.version = 1
    with pytest.raises(services.StaleVersion) as refused:
        services.save_memo(
            project=world["project"], author=world["coder"], memo=old_copy, text="Lost", expected_version=1
        )
    assert refused.value.current.text == "Second thoughts"
    assert Memo.objects.get(pk=memo.pk).text == "Second thoughts"


# Real threads, real connections: PostgreSQL only.


def simultaneously(*requests):
    """Run each request in its own thread, released together; each thread closes its own connection."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def run(index: int, request) -> None:
        try:
            barrier.wait()
            results[index] = request()
        except BaseException as error:  # noqa: BLE001 - reported to the test thread below
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, request)) for index, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


postgresql_only = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="needs PostgreSQL: SQLite serialises whole transactions, so these races cannot happen"
)


@pytest.fixture
def shared_world(transactional_db):
    world = make_world()
    world["clients"] = (client_for(world["coder"]), client_for(world["coder"]))
    return world


def fresh_excerpt(world, *, codes=()):
    return make_excerpt(world["interview"], start=0, end=12, coded_by=world["coder"], codes=codes, memo="start")


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_if_match", [True, False], ids=["if-match", "no-if-match"])
def test_two_memo_edits_at_once_never_lose_one_silently(shared_world, with_if_match):
    first, second = shared_world["clients"]
    tag = '"1"' if with_if_match else None
    outcomes = set()
    for trial in range(TRIALS):
        excerpt = fresh_excerpt(shared_world)
        memos = (f"first {trial}", f"second {trial}")
        answers = simultaneously(
            partial(patch, first, excerpt, {"memo": memos[0]}, if_match=tag),
            partial(patch, second, excerpt, {"memo": memos[1]}, if_match=tag),
        )
        statuses = sorted(answer.status_code for answer in answers)
        stored = Excerpt.objects.get(pk=excerpt.pk)
        if with_if_match:
            # One wins; the other is told, with the winner's memo in hand.
            assert statuses == [200, 412]
            winner, loser = sorted(answers, key=lambda answer: answer.status_code)
            assert stored.memo == winner.json()["memo"]
            assert loser.json()["current"]["memo"] == stored.memo
            assert stored.version == 2
        else:
            assert statuses == [200, 200]
            assert stored.memo in memos
            assert stored.version == 3
        outcomes.add(stored.memo.split()[0])
    print(f"\nmemo/memo ({'If-Match' if with_if_match else 'no If-Match'}): {TRIALS} trials, winners {outcomes}")


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_code_replacements_at_once_end_with_one_of_them_never_the_union(shared_world):
    first, second = shared_world["clients"]
    a, b = shared_world["a"].pk, shared_world["b"].pk
    for _ in range(TRIALS):
        excerpt = fresh_excerpt(shared_world)
        answers = simultaneously(
            partial(patch, first, excerpt, {"code_ids": [a]}),
            partial(patch, second, excerpt, {"code_ids": [b]}),
        )
        assert [answer.status_code for answer in answers] == [200, 200]
        assert code_ids(excerpt) in ({a}, {b})


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_same_code_replacement_twice_at_once_is_idempotent(shared_world):
    first, second = shared_world["clients"]
    wanted = [shared_world["a"].pk, shared_world["b"].pk]
    for _ in range(TRIALS):
        excerpt = fresh_excerpt(shared_world, codes=[shared_world["c"]])
        answers = simultaneously(
            partial(patch, first, excerpt, {"code_ids": wanted}),
            partial(patch, second, excerpt, {"code_ids": wanted}),
        )
        assert [answer.status_code for answer in answers] == [200, 200]
        assert code_ids(excerpt) == set(wanted)
        assert ExcerptCode.objects.filter(excerpt_id=excerpt.pk).count() == 2


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_if_match", [True, False], ids=["if-match", "no-if-match"])
def test_a_patch_racing_a_delete_gets_404_or_412_never_500(shared_world, with_if_match):
    first, second = shared_world["clients"]
    tag = '"1"' if with_if_match else None
    seen = set()
    for trial in range(TRIALS):
        excerpt = fresh_excerpt(shared_world, codes=[shared_world["a"]])
        patched, deleted = simultaneously(
            partial(patch, first, excerpt, {"code_ids": [shared_world["b"].pk], "memo": f"edit {trial}"}, if_match=tag),
            partial(delete, second, excerpt, if_match=tag),
        )
        seen.add((patched.status_code, deleted.status_code))
        exists = Excerpt.objects.filter(pk=excerpt.pk).exists()
        if deleted.status_code == 204:
            # The delete went last (or alone): nothing of the excerpt is left, and the patch was 200 before it
            # or 404 after it.
            assert not exists
            assert not ExcerptCode.objects.filter(excerpt_id=excerpt.pk).exists()
            assert patched.status_code in {200, 404}
        else:
            # With If-Match the patch went first and moved the version on: the delete is refused.
            assert with_if_match
            assert (patched.status_code, deleted.status_code) == (200, 412)
            assert exists
            assert code_ids(excerpt) == {shared_world["b"].pk}
            assert Excerpt.objects.get(pk=excerpt.pk).memo == f"edit {trial}"
    print(f"\npatch/delete ({'If-Match' if with_if_match else 'no If-Match'}): {TRIALS} trials, outcomes {seen}")


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_confirmation_racing_an_edit_counts_as_a_write_of_its_own(shared_world):
    """Confirming an excerpt a correction changed goes through the same row lock as every other write: neither
    write is lost, and the version counts both, so a client holding the older version is told."""
    first, second = shared_world["clients"]
    for trial in range(TRIALS):
        excerpt = fresh_excerpt(shared_world)
        Excerpt.objects.filter(pk=excerpt.pk).update(needs_review=True)
        patched, confirmed = simultaneously(
            partial(patch, first, excerpt, {"memo": f"edit {trial}"}),
            partial(second.post, f"/excerpts/{excerpt.pk}/reviewed/"),
        )
        assert (patched.status_code, confirmed.status_code) == (200, 302)
        stored = Excerpt.objects.get(pk=excerpt.pk)
        assert (stored.memo, stored.needs_review, stored.version) == (f"edit {trial}", False, 3)
