import datetime
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from casestudies.models import PhaseKind
from casestudies.transcripts import split_turns
from coding import colours, services
from coding.models import Code, Excerpt
from tests.factories import (
    make_case_study,
    make_code,
    make_interview,
    make_lead,
    make_participant,
    make_project,
    make_question,
    make_researcher,
    make_user,
)
from tests.querycounts import assert_flat, grow_coded_material

pytestmark = pytest.mark.django_db

TRANSCRIPT = (
    "Interviewer: How did it start?\n\n"
    "Ruth: With a phone call. The council rang us about the tender, and we said yes before we had thought about it. "
    "I still think that was right.\n\n"
    "Interviewer: And the lenders?\n\n"
    "Ruth: They wanted a say in everything 💷."
)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def project():
    return make_project(slug="partnership")


@pytest.fixture
def setting(project):
    housing = make_case_study(project, title="Housing mergers", order=1)
    care = make_case_study(project, title="Connected care", order=2)
    ruth = make_participant(project, pseudonym="Ruth", role_title="Policy director")
    quiet = make_participant(project, pseudonym="Judith", role_title="Board chair", consent_to_quote=False)
    first = make_interview(housing, title="Chief executive", transcript=TRANSCRIPT, date=datetime.date(2011, 5, 17))
    first.participants.add(ruth)
    second = make_interview(care, title="Commissioner", transcript=TRANSCRIPT.replace("Ruth", "Judith"))
    second.participants.add(quiet)
    scoping = make_interview(None, project=project, title="Scoping", transcript=TRANSCRIPT)
    lead = make_lead(project, first_name="Lena", last_name="Lead")
    coder = make_researcher(project, housing, first_name="Rafi", last_name="Researcher")
    trust = make_code(project, name="Trust", definition="Trust between partners.")
    return {
        "housing": housing,
        "care": care,
        "first": first,
        "second": second,
        "scoping": scoping,
        "lead": lead,
        "coder": coder,
        "trust": trust,
        "ruth": ruth,
    }


def code(excerpt_of, passage, *, codes, coded_by, **fields):
    start = excerpt_of.transcript.index(passage)
    return services.create_excerpt(
        interview=excerpt_of, start=start, end=start + len(passage), codes=codes, coded_by=coded_by, **fields
    )


# ------------------------------------------------------------------ codebook


def test_the_codebook_shows_the_tree_with_counts_of_excerpts_interviews_and_case_studies(setting, project):
    drivers = make_code(project, name="Drivers", is_codable=False)
    cuts = make_code(project, name="Spending cuts", parent=drivers)
    question = make_question(project, short_label="RQ2", text="What drives partnership?")
    cuts.research_questions.add(question)
    lead = setting["lead"]
    code(setting["first"], "With a phone call.", codes=[cuts, setting["trust"]], coded_by=lead)
    code(setting["first"], "They wanted a say", codes=[cuts], coded_by=lead)
    code(setting["second"], "With a phone call.", codes=[cuts], coded_by=lead)
    response = logged_in(lead).get("/projects/partnership/codebook/")
    html = response.content.decode()
    rows = re.findall(r'<tr class="[^"]*" data-search="([^"]*)">.*?</tr>', html, re.S)
    assert rows[0].startswith("drivers")
    assert rows[1].startswith("drivers › spending cuts")
    cuts_row = re.search(r'data-search="drivers › spending cuts.*?</tr>', html, re.S).group(0)
    assert re.findall(r'<td class="num">(\d+)</td>', cuts_row) == ["3", "2", "2"]
    assert 'title="What drives partnership?">RQ2</abbr>' in cuts_row
    assert "depth-1" in cuts_row
    trust_row = re.search(r'data-search="trust.*?</tr>', html, re.S).group(0)
    assert re.findall(r'<td class="num">(\d+)</td>', trust_row) == ["1", "1", "1"]
    assert f'href="/codes/{cuts.pk}/edit/"' in html
    # The heading gathers its sub-codes: distinct excerpts, interviews and case studies, its own (none) beside.
    drivers_row = re.search(r'data-search="drivers .*?</tr>', html, re.S).group(0)
    assert re.findall(r'<td class="num">(\d+) <span[^>]*>\((\d+) own\)</span></td>', drivers_row) == [
        ("3", "0"),
        ("2", "0"),
        ("2", "0"),
    ]


def test_codebook_counts_follow_what_the_researcher_may_see(setting, project):
    lead, coder = setting["lead"], setting["coder"]
    first = setting["first"]
    first.is_blind_coding = True
    first.save()
    code(first, "With a phone call.", codes=[setting["trust"]], coded_by=lead)
    code(first, "They wanted a say", codes=[setting["trust"]], coded_by=coder)
    code(setting["second"], "They wanted a say", codes=[setting["trust"]], coded_by=lead)
    html = logged_in(coder).get("/projects/partnership/codebook/").content.decode()
    trust_row = re.search(r'data-search="trust.*?</tr>', html, re.S).group(0)
    assert re.findall(r'<td class="num">(\d+)</td>', trust_row) == ["1", "1", "1"]
    assert "/edit/" not in html
    assert "Project leads rename, move, merge and archive codes; you can add new ones." in html


def test_the_codebook_takes_a_fixed_number_of_queries_however_many_codes(setting, project):
    question = make_question(project)
    parents = []

    def add_codes(groups: int, children: int) -> None:
        parents.extend(make_code(project, name=f"Group {len(parents)}") for _ in range(groups))
        for n in range(children):
            child = make_code(project, name=f"Code {n} of {len(parents)}", parent=parents[n % len(parents)])
            child.research_questions.add(question)
            child.tags.add(f"tagged {n % 3}")
            if n % 10 == 0:
                code(setting["first"], "With a phone call.", codes=[child], coded_by=setting["lead"])
                code(setting["second"], "With a phone call.", codes=[child], coded_by=setting["lead"])
        make_code(project, name=f"Old {len(parents)}", is_archived=True)

    add_codes(3, 20)

    def grow() -> None:
        add_codes(7, 60)
        grow_coded_material(project, codes=parents[-3:], coded_by=setting["lead"], interviews=[setting["scoping"]])

    client = logged_in(setting["lead"])
    # Session, user, project, lead check, interviews, counts, code parents, roll-up rows, questions,
    # question links, tags, codes, archived count, the role beside the name.
    assert_flat(lambda: client.get("/projects/partnership/codebook/"), grow, expected=13)

    assert client.get("/projects/partnership/codebook/").content.decode().count('data-search="') == 91


def test_archived_codes_are_hidden_until_asked_for(setting, project):
    make_code(project, name="Old idea", is_archived=True)
    client = logged_in(setting["lead"])
    assert "Old idea" not in client.get("/projects/partnership/codebook/").content.decode()
    shown = client.get("/projects/partnership/codebook/?archived=show").content.decode()
    assert "Old idea" in shown
    assert "including 1 archived" in shown


def test_a_researcher_adds_a_code_from_the_codebook(setting, project):
    question = make_question(project, short_label="RQ1")
    response = logged_in(setting["coder"]).post(
        "/projects/partnership/codebook/new/",
        {
            "name": "Lender consent",
            "parent": setting["trust"].pk,
            "definition": "Banks' consent to a change of control.",
            "colour": "",
            "research_questions": [question.pk],
            "tags": "finance, housing",
            "is_codable": "on",
        },
    )
    assert response.status_code == 302
    created = Code.objects.get(name="Lender consent")
    assert created.parent == setting["trust"]
    assert created.colour in colours.PALETTE_COLOURS
    assert created.colour != setting["trust"].colour
    assert list(created.research_questions.all()) == [question]
    assert sorted(created.tags.names()) == ["finance", "housing"]
    assert created.created_by == setting["coder"]


def test_the_code_form_offers_named_colours_and_keeps_a_colour_outside_them(setting, project):
    client = logged_in(setting["lead"])
    html = client.get("/projects/partnership/codebook/new/").content.decode()
    assert re.search(r'<input type="radio" name="colour" value="" [^>]*checked>\s*Automatic', html)
    assert re.search(
        r'value="#2ca02c"[^>]*><svg class="swatch"[^>]*><rect [^>]*fill="#2ca02c"/></svg>\s*Green</label>', html
    )
    oddly = make_code(project, name="Oddly coloured", colour="#123456")
    edit = client.get(f"/codes/{oddly.pk}/edit/").content.decode()
    assert re.search(r'value="#123456"[^>]*checked>.*Its current colour', edit, re.S)
    refused = client.post(f"/codes/{oddly.pk}/edit/", {"name": "Oddly coloured", "colour": "red"})
    assert "Select a valid choice. red is not one of the available choices." in refused.content.decode()
    assert Code.objects.get(pk=oddly.pk).colour == "#123456"


def test_a_duplicate_code_name_is_refused_on_the_form(setting, project):
    response = logged_in(setting["lead"]).post("/projects/partnership/codebook/new/", {"name": "TRUST", "colour": ""})
    assert response.status_code == 200
    assert "A code named “TRUST” already exists at the top of the codebook." in response.content.decode()
    assert Code.objects.filter(project=project).count() == 1


def test_researchers_cannot_reshape_the_codebook(setting):
    client = logged_in(setting["coder"])
    pk = setting["trust"].pk
    for url in (f"/codes/{pk}/edit/", f"/codes/{pk}/merge/", f"/codes/{pk}/delete/", f"/codes/{pk}/archive/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Only the project&#x27;s leads and admins can change the codebook." in response.content.decode()
    assert client.post(f"/codes/{pk}/archive/", {"archive": "1"}).status_code == 403
    assert logged_in(make_user()).get(f"/codes/{pk}/edit/").status_code == 404


def test_archiving_asks_first_and_restoring_does_not(setting):
    client = logged_in(setting["lead"])
    trust = setting["trust"]
    page = client.get(f"/codes/{trust.pk}/").content.decode()
    # The code's page links to a question, not to a button that archives at once.
    assert f'<a class="button button-secondary" href="/codes/{trust.pk}/archive/">Archive…</a>' in page
    assert 'name="archive" value="1"' not in page
    count = trust.excerpt_links.count()
    question = client.get(f"/codes/{trust.pk}/archive/").content.decode()
    assert "Archive “Trust”?" in question and f"It keeps its {count} excerpt" in question
    trust.refresh_from_db()
    assert not trust.is_archived  # asking changes nothing
    response = client.post(f"/codes/{trust.pk}/archive/", {"archive": "1"}, follow=True)
    trust.refresh_from_db()
    assert trust.is_archived and "Archived “Trust”" in response.content.decode()
    page = response.content.decode()
    assert 'name="archive" value="0"' in page and "Archive…" not in page
    # An archived code's question page goes back to the code.
    assert client.get(f"/codes/{trust.pk}/archive/").status_code == 302
    client.post(f"/codes/{trust.pk}/archive/", {"archive": "0"})
    trust.refresh_from_db()
    assert not trust.is_archived


def test_the_merge_page_says_how_a_merge_is_undone(setting, project):
    client = logged_in(setting["lead"])
    trust = setting["trust"]
    page = client.get(f"/codes/{trust.pk}/merge/").content.decode()
    assert "cannot be undone" not in page
    assert "A lead can undo the merge from the history of “Trust”" in page


def test_a_lead_renames_and_moves_a_code(setting, project):
    drivers = make_code(project, name="Drivers")
    response = logged_in(setting["lead"]).post(
        f"/codes/{setting['trust'].pk}/edit/",
        {"name": "Trust and distrust", "parent": drivers.pk, "definition": "New.", "colour": "#d62728"},
    )
    assert response.status_code == 302
    trust = Code.objects.get(pk=setting["trust"].pk)
    assert (trust.name, trust.parent, trust.definition, trust.colour, trust.is_codable) == (
        "Trust and distrust",
        drivers,
        "New.",
        "#d62728",
        False,
    )


def test_a_code_cannot_be_moved_under_its_own_sub_code(setting, project):
    child = make_code(project, name="Broken promises", parent=setting["trust"])
    response = logged_in(setting["lead"]).post(
        f"/codes/{setting['trust'].pk}/edit/",
        {"name": "Trust", "parent": child.pk, "colour": setting["trust"].colour, "is_codable": "on"},
    )
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert Code.objects.get(pk=setting["trust"].pk).parent is None


def test_merging_moves_the_excerpts_and_says_so(setting, project):
    target = make_code(project, name="Trust and distrust")
    excerpt = code(setting["first"], "With a phone call.", codes=[setting["trust"]], coded_by=setting["lead"])
    client = logged_in(setting["lead"])
    response = client.post(f"/codes/{setting['trust'].pk}/merge/", {"target": target.pk}, follow=True)
    assert "Merged “Trust” into “Trust and distrust”; its excerpts now carry “Trust and distrust”." in (
        response.content.decode()
    )
    assert list(excerpt.codes.all()) == [target]
    assert not Code.objects.filter(name="Trust").exists()


def test_archiving_and_restoring(setting):
    client = logged_in(setting["lead"])
    pk = setting["trust"].pk
    response = client.post(f"/codes/{pk}/archive/", {"archive": "1"}, follow=True)
    assert "Archived “Trust”: it keeps its excerpts but cannot be applied." in response.content.decode()
    assert Code.objects.get(pk=pk).is_archived
    client.post(f"/codes/{pk}/archive/", {"archive": "0"})
    assert not Code.objects.get(pk=pk).is_archived


def test_a_code_in_use_cannot_be_deleted(setting):
    code(setting["first"], "With a phone call.", codes=[setting["trust"]], coded_by=setting["lead"])
    response = logged_in(setting["lead"]).post(f"/codes/{setting['trust'].pk}/delete/")
    assert response.status_code == 200
    assert (
        "This code has been applied to excerpts: merge it into another code, or archive it."
        in response.content.decode()
    )
    assert Code.objects.filter(pk=setting["trust"].pk).exists()


def test_an_unused_code_is_deleted(setting):
    response = logged_in(setting["lead"]).post(f"/codes/{setting['trust'].pk}/delete/", follow=True)
    assert "Deleted the code “Trust”." in response.content.decode()
    assert not Code.objects.exists()


# ------------------------------------------------------------------ retrieval


def test_a_codes_page_lists_its_excerpts_with_source_speaker_coder_memo_and_context(setting):
    lead = setting["lead"]
    excerpt = code(
        setting["first"],
        "The council rang us about the tender",
        codes=[setting["trust"]],
        coded_by=lead,
        memo="Commissioner-led <start>.",
    )
    code(setting["second"], "They wanted a say", codes=[setting["trust"]], coded_by=setting["coder"])
    html = logged_in(lead).get(f"/codes/{setting['trust'].pk}/").content.decode()
    assert "2 excerpts." in html
    assert f'href="/interviews/{setting["first"].pk}/code/#excerpt-{excerpt.pk}"' in html
    assert "Chief executive" in html
    assert "Housing mergers · Case study · 17 May 2011" in html
    assert "<strong>Ruth</strong>, Policy director" in html
    assert '<strong>Judith</strong>, Board chair <span class="badge badge-warning">not to be quoted</span>' in html
    assert '<span class="context">With a phone call. </span><mark>The council rang us about the tender</mark>' in html
    assert '<span class="context">, and we said yes before we had thought about it.' in html
    assert "Coded by Lena Lead on" in html
    assert "Commissioner-led &lt;start&gt;." in html
    assert "Trust between partners." in html


def test_retrieval_filters_by_case_study_phase_and_coder(setting):
    lead, coder = setting["lead"], setting["coder"]
    code(setting["first"], "With a phone call.", codes=[setting["trust"]], coded_by=lead)
    code(setting["first"], "They wanted a say", codes=[setting["trust"]], coded_by=coder)
    code(setting["second"], "With a phone call.", codes=[setting["trust"]], coded_by=lead)
    code(setting["scoping"], "With a phone call.", codes=[setting["trust"]], coded_by=lead)
    client = logged_in(lead)
    url = f"/codes/{setting['trust'].pk}/"

    def titles(query: str) -> list[str]:
        html = client.get(url + query).content.decode()
        return re.findall(r'title="Open the transcript at this excerpt">([^<]+)</a>', html)

    assert titles("") == ["Scoping", "Chief executive", "Chief executive", "Commissioner"]
    assert titles(f"?case_study={setting['housing'].pk}") == ["Chief executive", "Chief executive"]
    assert titles("?case_study=scoping") == ["Scoping"]
    assert titles(f"?phase={PhaseKind.SCOPING}") == ["Scoping"]
    assert titles(f"?coder={coder.pk}") == ["Chief executive"]
    assert titles(f"?case_study={setting['care'].pk}&coder={coder.pk}") == []


def test_retrieval_shows_only_what_the_researcher_may_see(setting):
    lead, coder = setting["lead"], setting["coder"]
    code(setting["first"], "With a phone call.", codes=[setting["trust"]], coded_by=lead)
    code(setting["second"], "They wanted a say", codes=[setting["trust"]], coded_by=lead)
    html = logged_in(coder).get(f"/codes/{setting['trust'].pk}/").content.decode()
    assert "1 excerpt." in html
    assert "Commissioner" not in html
    assert "Connected care" not in html


def test_retrieval_is_paginated_and_keeps_the_filters(setting, django_assert_num_queries):
    lead = setting["lead"]
    first = setting["first"]
    for start in range(30):
        services.create_excerpt(interview=first, start=start, end=start + 10, codes=[setting["trust"]], coded_by=lead)
    client = logged_in(lead)
    url = f"/codes/{setting['trust'].pk}/?coder={lead.pk}"
    # Session, user, code, the filter's case studies and coders, count, excerpts, participants, codes,
    # transcripts, children, questions, tags, lead check, the role beside the name.
    with django_assert_num_queries(16):
        html = client.get(url).content.decode()
    assert "30 excerpts; page 1 of 2." in html
    assert html.count('class="retrieved"') == 25
    assert f'href="?coder={lead.pk}&amp;page=2"' in html
    second = client.get(url + "&page=2").content.decode()
    assert second.count('class="retrieved"') == 5
    assert '<ol class="retrieved-list" start="26">' in second


def test_a_codes_page_takes_a_fixed_number_of_queries_however_many_excerpts(setting, project):
    lead, trust = setting["lead"], setting["trust"]
    child = make_code(project, name="Distrust", parent=trust)
    trust.research_questions.add(make_question(project))
    trust.tags.add("relationships")
    code(setting["first"], "With a phone call.", codes=[trust], coded_by=lead)
    code(setting["second"], "They wanted a say", codes=[trust, child], coded_by=lead)
    client = logged_in(lead)
    url = f"/codes/{trust.pk}/"

    def grow() -> None:
        grow_coded_material(
            project, codes=[trust, child], coded_by=setting["coder"], interviews=[setting["first"], setting["scoping"]]
        )

    assert_flat(lambda: client.get(url), grow, expected=16)
    assert client.get(url).content.decode().count('class="retrieved"') == 20


def test_key_quotes_take_a_fixed_number_of_queries_however_many_quotes(setting, project):
    lead, trust = setting["lead"], setting["trust"]
    money = make_code(project, name="Money")
    code(setting["first"], "With a phone call.", codes=[trust], coded_by=lead, is_key_quote=True)
    code(setting["second"], "They wanted a say", codes=[money, trust], coded_by=lead, is_key_quote=True)
    client = logged_in(lead)
    url = "/projects/partnership/key-quotes/"

    def grow() -> None:
        grow_coded_material(
            project, codes=[trust, money], coded_by=setting["coder"], interviews=[setting["first"], setting["scoping"]]
        )
        Excerpt.objects.update(is_key_quote=True)

    assert_flat(lambda: client.get(url), grow, expected=13)
    assert "20 excerpts." in client.get(url).content.decode()


def test_key_quotes_lists_only_key_quotes_across_codes(setting, project):
    money = make_code(project, name="Money")
    lead = setting["lead"]
    code(setting["first"], "With a phone call.", codes=[setting["trust"]], coded_by=lead, is_key_quote=True)
    code(setting["first"], "They wanted a say", codes=[money], coded_by=lead, is_key_quote=True)
    code(setting["second"], "With a phone call.", codes=[money], coded_by=lead)
    client = logged_in(lead)
    html = client.get("/projects/partnership/key-quotes/").content.decode()
    assert "2 excerpts." in html
    assert html.count('<span class="badge badge-key">Key quote</span>') == 2
    filtered = client.get(f"/projects/partnership/key-quotes/?code={money.pk}").content.decode()
    assert "1 excerpt." in filtered
    assert "<mark>They wanted a say</mark>" in filtered


# ------------------------------------------------------------------ coding page


def test_the_coding_page_renders_turns_with_their_code_point_offsets(setting):
    interview = setting["first"]
    interview.transcript = (
        "Interviewer: <b>Why</b>? 🤝\n\nRuth: Cafe\u0301 & 合作.\nSecond line.\n\nA paragraph without a speaker."
    )
    interview.save()
    html = logged_in(setting["coder"]).get(f"/interviews/{interview.pk}/code/").content.decode()
    turns = split_turns(interview.transcript)
    found = re.findall(r'<p class="turn[^"]*" data-start="(\d+)" data-end="(\d+)">(.*?)</p>', html, re.S)
    assert [(int(s), int(e)) for s, e, _ in found] == [(t.start, t.end) for t in turns]
    assert found[0][2] == '<span class="speaker">Interviewer: </span>&lt;b&gt;Why&lt;/b&gt;? 🤝'
    assert found[1][2] == '<span class="speaker">Ruth: </span>Cafe\u0301 &amp; 合作.\nSecond line.'
    assert found[2][2] == '<span class="speaker"></span>A paragraph without a speaker.'
    assert 'class="turn has-speaker interviewer"' in html
    config = json.loads(re.search(r'<script id="coding-config" type="application/json">(.*?)</script>', html).group(1))
    assert config["excerptsUrl"] == f"/api/interviews/{interview.pk}/excerpts"
    assert config["codesUrl"] == "/api/projects/partnership/codes"
    assert config["excerptUrl"] == "/api/excerpts/"
    assert config["user"]["id"] == setting["coder"].pk
    assert "Keyboard shortcuts" in html
    assert "style=" not in html


def test_the_coding_page_lists_recently_used_codes_first(setting, project):
    coder = setting["coder"]
    money = make_code(project, name="Money")
    code(setting["first"], "With a phone call.", codes=[setting["trust"]], coded_by=coder)
    code(setting["first"], "They wanted a say", codes=[money], coded_by=coder)
    html = logged_in(coder).get(f"/interviews/{setting['first'].pk}/code/").content.decode()
    config = json.loads(re.search(r'<script id="coding-config" type="application/json">(.*?)</script>', html).group(1))
    assert config["recentCodeIds"] == [money.pk, setting["trust"].pk]


def test_the_coding_page_warns_about_blind_coding(setting):
    interview = setting["first"]
    interview.is_blind_coding = True
    interview.save()
    notice = "you see only your own excerpts in this interview until a project lead reveals"
    assert notice in logged_in(setting["coder"]).get(f"/interviews/{interview.pk}/code/").content.decode()
    assert notice not in logged_in(setting["lead"]).get(f"/interviews/{interview.pk}/code/").content.decode()


def test_the_coding_page_follows_interview_access(setting):
    assert logged_in(setting["coder"]).get(f"/interviews/{setting['second'].pk}/code/").status_code == 404
    assert logged_in(make_user()).get(f"/interviews/{setting['first'].pk}/code/").status_code == 404
    anonymous = Client().get(f"/interviews/{setting['first'].pk}/code/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")


def test_the_interview_page_links_to_coding_and_the_nav_to_codebook_and_key_quotes(setting):
    html = logged_in(setting["coder"]).get(f"/interviews/{setting['first'].pk}/").content.decode()
    assert f'href="/interviews/{setting["first"].pk}/code/">Code this interview</a>' in html
    assert '<a href="/projects/partnership/codebook/">Codebook</a>' in html
    assert '<a href="/projects/partnership/key-quotes/">Key quotes</a>' in html


def test_the_memo_on_a_retrieved_excerpt_is_escaped(setting):
    code(
        setting["first"],
        "With a phone call.",
        codes=[setting["trust"]],
        coded_by=setting["lead"],
        memo="<script>alert(1)</script>",
    )
    html = logged_in(setting["lead"]).get(f"/codes/{setting['trust'].pk}/").content.decode()
    assert escape("<script>alert(1)</script>") in html
    assert "<script>alert(1)</script>" not in html


def test_a_codes_page_can_include_its_sub_codes_excerpts_once_each(client):
    from tests import factories as f

    project = f.make_project()
    lead = f.make_lead(project)
    parent = f.make_code(project, name="Barriers")
    child = f.make_code(project, name="Time", parent=parent)
    interview = f.make_interview(f.make_case_study(project))
    own = f.make_excerpt(interview, start=0, end=10, codes=[parent], coded_by=lead)
    both = f.make_excerpt(interview, start=12, end=30, codes=[parent, child], coded_by=lead)
    sub = f.make_excerpt(interview, start=40, end=60, codes=[child], coded_by=lead)
    client.force_login(lead)
    address = reverse("coding:code", args=[parent.pk])

    alone = client.get(address)
    included = client.get(address, {"subcodes": "include"})

    assert [item.excerpt for item in alone.context["retrieved"]] == [own, both]
    assert [item.excerpt for item in included.context["retrieved"]] == [own, both, sub]
    assert "Include the sub-codes’ excerpts" in alone.content.decode()
    assert "Only this code’s own excerpts" in included.content.decode()


def test_the_coding_page_draws_header_lines_as_notes_not_speaker_turns():
    from casestudies.transcripts import split_turns
    from coding.views import transcript_html

    text = "Interview: Chief executive\n\nDate: 14 October 2010\n\nRuth: We met at the café."
    html = str(transcript_html(split_turns(text)))
    paragraphs = html.split("\n")
    assert paragraphs[0].startswith('<p class="turn note"')
    assert paragraphs[1].startswith('<p class="turn note"')
    assert paragraphs[2].startswith('<p class="turn has-speaker"')
    assert "Ruth: " in paragraphs[2]


def test_a_codebook_heading_counts_the_distinct_excerpts_of_its_sub_codes_with_its_own_beside(setting, project):
    heading = make_code(project, name="Barriers and downsides")
    time = make_code(project, name="Time pressure", parent=heading)
    cost = make_code(project, name="Cost", parent=heading)
    code(setting["first"], "With a phone call.", codes=[time, cost], coded_by=setting["lead"])
    code(setting["second"], "With a phone call.", codes=[time], coded_by=setting["lead"])
    response = logged_in(setting["lead"]).get("/projects/partnership/codebook/")
    html = response.content.decode()
    row = html[html.index("Barriers and downsides") :]
    row = row[: row.index("</tr>")]
    # Two excerpts under the heading (one carries both sub-codes, counted once); none coded with it directly.
    assert re.search(r'<td class="num">2 <span class="muted small"[^>]*>\(0 own\)</span></td>', row)
    time_row = html[html.index("Time pressure") :]
    time_row = time_row[: time_row.index("</tr>")]
    assert '<td class="num">2</td>' in time_row
