import pytest

TWO_SPEAKERS = (
    "Interviewer: How did the partnership start?\n\n"
    "Ruth: The money came first, then the trust.\n\n"
    "Graham: From the council's side we were wary of them."
)


@pytest.fixture
def casebook(db):
    """A small project whose figures are counted by hand in the tests.

    Case studies Alpha and Beta are shared with the researcher; Gamma is not. Codes: Trust (with the
    sub-code Distrust) and Funding; RQ1 is linked to Trust, RQ2 to Funding, RQ3 to nothing.

    excerpt  interview                 case study  speaker  coder  codes
    e1       i1 (Ruth)                 Alpha       Ruth     alice  Trust
    e2       i1                        Alpha       Ruth     alice  Trust, Funding
    e3       i2 (Ruth and Graham)      Alpha       Ruth     bob    Funding
    e4       i2                        Alpha       Graham   alice  Trust
    e5       i3 (Graham)               Beta        Graham   bob    Distrust
    e6       i4 (Ruth), scoping        —           Ruth     alice  Trust
    e7       i5 (no participants)      Gamma       —        alice  Trust
    """
    from types import SimpleNamespace

    from casestudies.models import PhaseKind, Sector
    from tests import factories as f

    project = f.make_project(title="Partnership", slug="partnership-test")
    alpha = f.make_case_study(project, title="Alpha", slug="alpha", order=1)
    beta = f.make_case_study(project, title="Beta", slug="beta", order=2)
    gamma = f.make_case_study(project, title="Gamma", slug="gamma", order=3)
    lead = f.make_lead(project, username="lena", first_name="Lena", last_name="Lead")
    researcher = f.make_researcher(project, alpha, beta, username="rafi", first_name="Rafi", last_name="Researcher")
    alice = f.make_researcher(project, alpha, beta, gamma, username="alice", first_name="Alice", last_name="Adams")
    bob = f.make_researcher(project, alpha, beta, username="bob", first_name="Bob", last_name="Brown")
    group = f.make_question(project).group
    rq1 = f.make_question(project, group=group, short_label="RQ1", text="What drives partnership?", order=1)
    rq2 = f.make_question(project, group=group, short_label="RQ2", text="What does it cost?", order=2)
    rq3 = f.make_question(project, group=group, short_label="RQ3", text="How is it evaluated?", order=3)
    group.questions.exclude(pk__in=[rq1.pk, rq2.pk, rq3.pk]).delete()
    alpha.focal_questions.set([rq1, rq3])
    trust = f.make_code(project, name="Trust", order=1)
    distrust = f.make_code(project, name="Distrust", parent=trust)
    funding = f.make_code(project, name="Funding", order=2)
    trust.research_questions.set([rq1])
    funding.research_questions.set([rq2])
    housing = f.make_organisation(project, name="Calder Homes", sector=Sector.THIRD, kind="Housing association")
    council = f.make_organisation(project, name="Ashworth Council", sector=Sector.PUBLIC, kind="Local authority")
    ruth = f.make_participant(project, pseudonym="Ruth", real_name="Ruth Ellingham", organisation=housing)
    graham = f.make_participant(
        project, pseudonym="Graham", real_name="Graham Pettifer", organisation=council, consent_to_quote=False
    )
    i1 = f.make_interview(alpha, title="Alpha one", transcript="Ruth: We trusted them. Money mattered too, a lot.")
    i1.participants.set([ruth])
    i2 = f.make_interview(alpha, title="Alpha two", transcript=TWO_SPEAKERS)
    i2.participants.set([ruth, graham])
    i3 = f.make_interview(beta, title="Beta one", transcript="Graham: We never really trusted the charity.")
    i3.participants.set([graham])
    i4 = f.make_interview(project=project, title="Scoping one", phase=PhaseKind.SCOPING, transcript="Ruth: Trust.")
    i4.participants.set([ruth])
    i5 = f.make_interview(gamma, title="Gamma one", transcript="Someone: Trust is everything here.")
    ruth_turn = TWO_SPEAKERS.index("Ruth:")
    graham_turn = TWO_SPEAKERS.index("Graham:")
    e = SimpleNamespace(
        e1=f.make_excerpt(i1, start=6, end=22, codes=[trust], coded_by=alice),
        e2=f.make_excerpt(i1, start=23, end=48, codes=[trust, funding], coded_by=alice),
        e3=f.make_excerpt(i2, start=ruth_turn + 6, end=ruth_turn + 25, codes=[funding], coded_by=bob),
        e4=f.make_excerpt(i2, start=graham_turn + 8, end=graham_turn + 40, codes=[trust], coded_by=alice),
        e5=f.make_excerpt(i3, start=8, end=40, codes=[distrust], coded_by=bob),
        e6=f.make_excerpt(i4, start=6, end=12, codes=[trust], coded_by=alice),
        e7=f.make_excerpt(i5, start=9, end=30, codes=[trust], coded_by=alice),
    )
    return SimpleNamespace(
        project=project,
        alpha=alpha,
        beta=beta,
        gamma=gamma,
        lead=lead,
        researcher=researcher,
        alice=alice,
        bob=bob,
        rq1=rq1,
        rq2=rq2,
        rq3=rq3,
        trust=trust,
        distrust=distrust,
        funding=funding,
        ruth=ruth,
        graham=graham,
        interviews=SimpleNamespace(i1=i1, i2=i2, i3=i3, i4=i4, i5=i5),
        excerpts=e,
    )
