"""Demo coding for the fictional demo transcripts: a codebook linked to the research questions, and excerpts.

Deterministic and idempotent. Passages are chosen by phrases that fit each code, on sentence boundaries within
the participants' turns (never the interviewer's), the way a coder might work through a first pass:
`lead` codes every demo interview; `researcher` codes the housing ones with slightly different choices, so that
some passages are coded by both, some overlap and some differ (material for an agreement check).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from casestudies.models import Interview, ResearchProject, ResearchQuestion
from casestudies.transcripts import TURN_PATTERN, split_turns

from . import services
from .models import Code, Excerpt


@dataclass(frozen=True)
class CodeSeed:
    name: str
    definition: str
    questions: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    memo: str = ""
    colour: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupSeed:
    name: str
    definition: str
    colour: str
    questions: tuple[str, ...]
    codes: tuple[CodeSeed, ...]


CODEBOOK: tuple[GroupSeed, ...] = (
    GroupSeed(
        "Forms of partnership",
        "The arrangement through which organisations work together, as participants describe it. Code the form, "
        "not the quality of the relationship.",
        "#1f77b4",
        ("RQ1",),
        (
            CodeSeed(
                "Merger",
                "Two or more organisations becoming one, by amalgamation or transfer of engagements, whatever it is "
                "called locally. Includes talk of a merger that was considered and rejected.",
                ("RQ1", "E2"),
                (r"\bmerg(?:er|ers|ed|ing)\b", r"transfer of engagements", r"amalgamat"),
                "{who} on the merger itself: note how the word is used (and avoided).",
                "#1f77b4",
            ),
            CodeSeed(
                "Group structure",
                "A parent with subsidiaries or associates that keep their own registration, board, name or brand; "
                "includes the division of powers between parent and subsidiary.",
                ("RQ1", "E2"),
                (r"group structure", r"\bparent\b", r"subsidiar", r"\bassociate\b", r"intra-group", r"reserved"),
                "Parent–subsidiary powers: compare with the group structures in the housing and sight-loss cases.",
                "#aec7e8",
            ),
            CodeSeed(
                "Consortium",
                "Several organisations bidding or delivering together under a lead body or a jointly owned vehicle.",
                ("RQ1", "E5"),
                (r"(?<!GP )\bconsorti(?:um|a)\b",),
                "{who} on consortium working: who leads, who carries the risk?",
                "#17becf",
            ),
            CodeSeed(
                "Prime contractor and supply chain",
                "A prime holding the contract with the commissioner and subcontracting to tiers of providers.",
                ("RQ1", "E4"),
                (r"\bprimes?\b", r"supply chains?", r"sub-?contract", r"\btier [12]\b"),
                "Supply-chain design as described by {who}; compare with the tier 2 view.",
                "#9edae5",
            ),
            CodeSeed(
                "Shared services and back office",
                "Sharing premises, staff, systems or support functions (finance, HR, IT, payroll) without merging.",
                ("RQ1", "RQ4"),
                (r"back[- ]office", r"shared services?", r"\bfinance function\b", r"\bpayroll\b", r"\bHR\b"),
                "",
                "#c5b0d5",
            ),
            CodeSeed(
                "Informal alliance and networks",
                "Looser collaboration without a contract: networks, forums, compacts, informal alliances.",
                ("RQ1",),
                (r"\binformal", r"\bnetworks?\b", r"\bcompact\b", r"\balliances?\b", r"\bforum\b"),
                "",
                "#dbdb8d",
            ),
            CodeSeed(
                "Cross-sector partnership",
                "Third-sector organisations working with public bodies (councils, PCTs, the Housing Executive) in "
                "joint arrangements beyond a simple contract: steering groups, pooled budgets, joint commissioning.",
                ("RQ1", "RQ2"),
                (r"joint commission", r"\bpooled\b", r"steering group", r"partnership board", r"multi-agency"),
                "",
                "#bcbd22",
            ),
        ),
    ),
    GroupSeed(
        "Drivers of partnership",
        "Why organisations enter partnerships, as participants explain it: pressures, incentives and aims.",
        "#ff7f0e",
        ("RQ2",),
        (
            CodeSeed(
                "Efficiency and cost savings",
                "Partnership or merger justified by savings, economies of scale or lower overheads; includes "
                "savings targets and whether they were met.",
                ("RQ2", "RQ4"),
                (r"\bsavings?\b", r"efficien", r"economies of scale", r"\boverheads?\b"),
                "{who} on savings: separate the promised from the delivered.",
                "#ff7f0e",
            ),
            CodeSeed(
                "Commissioning and tendering",
                "Commissioners' decisions, tenders, procurement rules and bidding as a reason to partner.",
                ("RQ2", "E1"),
                (
                    r"\bcommission(?:ing|er|ers)\b",
                    r"\btender",
                    r"\bprocure",
                    r"\bbid(?:s|ding)?\b",
                    r"\bcontract package",
                ),
                "Commissioning as a driver: is the partnership the commissioner's idea or the providers'?",
                "#ffbb78",
            ),
            CodeSeed(
                "Regulation",
                "The regulator's judgements, expectations or rules pushing organisations towards partnership.",
                ("RQ2", "E1"),
                (r"\bregulat(?:or|ors|ion|ory)\b", r"\bTSA\b", r"\binspection"),
                "{who}: regulatory pressure named as a driver (E1).",
                "#e6550d",
            ),
            CodeSeed(
                "Spending cuts",
                "Reductions in grants, contracts and public budgets (the spending review, in-year cuts) as a context "
                "or driver.",
                ("RQ2",),
                (
                    r"\bcuts?\b(?! across)",
                    r"spending review",
                    r"\bausterity\b",
                    r"budget (?:cuts?|reductions?|pressures?)",
                    r"(?:lost|losing|lose) (?:\w+ )?(?:per cent|%)",
                    r"ring-?fence",
                ),
                "Cuts as context: {who} links them directly to partnership decisions.",
                "#fd8d3c",
            ),
            CodeSeed(
                "Mission and user benefit",
                "Partnership justified by the organisation's purpose or by what it does for tenants, service users or "
                "communities.",
                ("RQ2", "RQ4"),
                (r"\bmission\b", r"\bvalues\b", r"values-driven", r"charitable", r"\bservice users?\b"),
                "",
                "#fdae6b",
            ),
            CodeSeed(
                "Scale and capacity",
                "Being big enough: to develop, to bid, to carry risk, or to be taken seriously.",
                ("RQ2", "E5"),
                (r"\bscale\b", r"\bcapacity\b", r"too small", r"critical mass", r"\bbigger\b"),
                "",
                "#d6616b",
            ),
            CodeSeed(
                "Survival",
                "Partnership as a way to survive: to avoid closure, insolvency or the loss of a contract.",
                ("RQ2",),
                (r"\bsurviv", r"go(?:ne|ing)? under", r"\bfold\b", r"close (?:down|the doors)"),
                "{who}: partnership framed as survival rather than choice.",
                "#ad494a",
            ),
            CodeSeed(
                "Lenders and finance",
                "Banks and lenders (consent, covenants, repricing) and the finance of a merger or group.",
                ("E2",),
                (r"\blenders?\b", r"\bbanks?\b", r"\bloans?\b", r"covenant", r"basis points", r"repric", r"\bborrow"),
                "Lenders shaping the structure, not only financing it (E2). Compare across the housing cases.",
                "#8c6d31",
            ),
            CodeSeed(
                "Local politics",
                "Councillors, council leaders and other political actors as drivers or barriers.",
                ("E2",),
                (r"\bpolitic", r"\bcouncillors?\b", r"leader of the council", r"portfolio holder", r"elected members"),
                "",
                "#bd9e39",
            ),
            CodeSeed(
                "Imposed partnership",
                "Partnership required or strongly steered by a regulator or commissioner rather than chosen.",
                ("E1",),
                (
                    r"\bimposed\b",
                    r"\bforced\b",
                    r"no choice",
                    r"shotgun",
                    r"development groupings?",
                    r"investment partnering",
                    r"you must",
                ),
                "{who}: an imposed arrangement. What does it do to motivation (E1)?",
                "#e7969c",
            ),
        ),
    ),
    GroupSeed(
        "Barriers and downsides",
        "What gets in the way of partnership, or what it costs the organisations and people involved.",
        "#d62728",
        ("RQ3",),
        (
            CodeSeed(
                "Power imbalance",
                "One partner holding the money, the contract, the referrals or the final say; talk of being swallowed, "
                "absorbed or squeezed.",
                ("RQ3", "E4"),
                (r"\bpower", r"swallowed", r"absorbed", r"junior partner", r"take-?over", r"squeezed", r"\bcontrol\b"),
                "{who} on power: who holds the contract, the money, the referrals?",
                "#d62728",
            ),
            CodeSeed(
                "Transaction costs",
                "The time, money and effort that partnership itself takes: due diligence, legal work, meetings, "
                "management fees, reporting.",
                ("RQ3", "RQ4"),
                (r"due diligence", r"\blegal\b", r"\bconsultants?\b", r"management fee", r"paperwork", r"\bbureaucra"),
                "",
                "#ff9896",
            ),
            CodeSeed(
                "Loss of independence and identity",
                "Losing autonomy, name, brand, local roots or voice through partnership or merger.",
                ("RQ3",),
                (r"independen", r"\bidentity\b", r"\bbrands?\b", r"\bautonomy\b", r"erosion", r"local roots"),
                "{who}: loss of identity or independence. Gradual or sudden?",
                "#7b4173",
            ),
            CodeSeed(
                "Cultural clash",
                "Differences of organisational culture, values or ways of working between partners.",
                ("RQ3",),
                (r"\bcultur(?:e|es|al)\b",),
                "Culture named explicitly by {who}; note the stereotypes each side holds of the other.",
                "#a55194",
            ),
            CodeSeed(
                "Financial risk and cash flow",
                "Risk passed between partners; payment by results, cash flow and reserves.",
                ("RQ3", "E4"),
                (
                    r"cash ?flow",
                    r"\brisks?\b",
                    r"payment by results",
                    r"outcome payments?",
                    r"\breserves\b",
                    r"in arrears",
                ),
                "{who} on financial risk: who carries it down the chain?",
                "#ce6dbd",
            ),
            CodeSeed(
                "Staff terms and conditions",
                "Pay, pensions, TUPE, redundancy and harmonisation of terms between partners.",
                ("RQ3",),
                (r"\bpensions?\b", r"terms and conditions", r"\bunions?\b", r"redundan", r"\bTUPE\b", r"pay structure"),
                "",
                "#de9ed6",
            ),
        ),
    ),
    GroupSeed(
        "Advantages and outcomes",
        "What partnership achieves, or is said to achieve, compared with going it alone or another arrangement.",
        "#2ca02c",
        ("RQ4",),
        (
            CodeSeed(
                "Service outcomes",
                "Differences partnership makes for tenants, service users or communities: better homes, services or "
                "results.",
                ("RQ4",),
                (
                    r"(?:better|good|real|physical|service) outcomes?",
                    r"outcomes? for (?:tenants|users|people|customers|clients)",
                    r"new homes",
                    r"kitchens and bathrooms",
                    r"better service",
                    r"\bsatisfaction\b",
                    r"made a (?:real )?difference",
                ),
                "",
                "#2ca02c",
            ),
            CodeSeed(
                "Specialist expertise and reach",
                "Partners bringing specialist skills, local knowledge or access to people others cannot reach.",
                ("RQ4",),
                (r"\bspecialis", r"\bexpertise\b", r"local knowledge", r"\breach\b"),
                "{who} on what specialists bring that a generalist or prime cannot.",
                "#98df8a",
            ),
            CodeSeed(
                "Voice and influence",
                "Partnership giving a stronger voice with commissioners, government or funders.",
                ("RQ4",),
                (r"\binfluence\b", r"at the table", r"\bclout\b", r"\blobby", r"in the room"),
                "",
                "#31a354",
            ),
            CodeSeed(
                "Financial strength",
                "Balance sheet, borrowing capacity and resilience gained through partnership.",
                ("RQ4", "E2"),
                (
                    r"balance sheet",
                    r"\bresilien",
                    r"borrowing capacity",
                    r"financial strength",
                    r"stronger financially",
                ),
                "",
                "#74c476",
            ),
        ),
    ),
    GroupSeed(
        "Accountability and governance",
        "To whom the partnership answers, and how it is governed.",
        "#9467bd",
        ("RQ4",),
        (
            CodeSeed(
                "Boards and governance",
                "Boards, trustees, chairs and the governance arrangements of the partnership.",
                ("RQ4",),
                (r"\bboards?\b", r"\bgovernance\b", r"\btrustees?\b"),
                "{who} on governance: where do decisions really get made?",
                "#9467bd",
            ),
            CodeSeed(
                "Tenant and user involvement",
                "Tenants, residents or service users taking part in decisions or scrutiny; consultation with them.",
                ("RQ4",),
                (
                    r"tenant (?:panel|involvement|scrutiny|board|consultation|members?hip)",
                    r"consult(?:ed|ation|ing)? (?:with )?(?:the )?(?:tenants|residents|users|service users|communit)",
                    r"(?:tenants|residents|service users) (?:were|are|had|have) (?:involved|consulted|on the board)",
                    r"engaged tenants",
                    r"\bscrutiny\b",
                    r"community researchers?",
                    r"(?:user|tenant|resident) (?:voice|involvement)",
                ),
                "",
                "#c49c94",
            ),
            CodeSeed(
                "Accountability to funders",
                "Answering to commissioners and funders: contract management, reporting, compliance.",
                ("RQ4", "RQ6"),
                (r"\baccountab", r"\banswerable\b", r"\bcompliance\b", r"\bcomply\b", r"contract management"),
                "",
                "#8c564b",
            ),
        ),
    ),
    GroupSeed(
        "Learning and innovation",
        "What organisations learn from partnership and what new practice it produces.",
        "#17becf",
        ("RQ5",),
        (
            CodeSeed(
                "Innovation",
                "New services, models or ways of working that partnership makes possible (or prevents).",
                ("RQ5",),
                (r"\binnovat", r"new model", r"\bpilot", r"try (?:things|anything|something)", r"\bexperiment"),
                "{who} on innovation: from the centre or from the edges?",
                "#17becf",
            ),
            CodeSeed(
                "Inter-organisational learning",
                "Partners learning from one another, or lessons drawn from the partnership itself.",
                ("RQ5",),
                (r"\blearn(?:t|ed|ing)?\b", r"\blessons?\b", r"best practice", r"sharing practice"),
                "",
                "#9edae5",
            ),
        ),
    ),
    GroupSeed(
        "Evaluation",
        "How the partnership's performance and value are judged, by whom and with what evidence.",
        "#7f7f7f",
        ("RQ6",),
        (
            CodeSeed(
                "Performance measurement",
                "Data, targets, dashboards, league tables and evaluations of the partnership or its services.",
                ("RQ6",),
                (
                    r"\bevaluat",
                    r"\bmeasur",
                    r"dashboard",
                    r"league table",
                    r"\bKPIs?\b",
                    r"\bindicators?\b",
                    r"\btargets?\b",
                ),
                "{who} on measurement: what counts as success, and for whom?",
                "#7f7f7f",
            ),
            CodeSeed(
                "What measures miss",
                "Outcomes or value that the measures in use do not capture.",
                ("RQ6",),
                (
                    r"(?:doesn't|does not|didn't) capture",
                    r"soft outcomes",
                    r"get nothing for",
                    r"can't (?:measure|count)",
                ),
                "Unmeasured value: a theme for the evaluation paper (RQ6).",
                "#c7c7c7",
            ),
        ),
    ),
    GroupSeed(
        "Trust and relationships",
        "The quality of relationships between partners and between the people who lead them.",
        "#e377c2",
        ("RQ3", "RQ4"),
        (
            CodeSeed(
                "Trust",
                "Trust and distrust between partners; goodwill, suspicion, promises kept or broken.",
                ("RQ3", "RQ4"),
                (
                    # Trust between people and partners, not "the trust" that funds or employs someone.
                    r"\btrust(?:ed|ing)? (?:each other|us|them|him|her|you|me|the (?:prime|council|partners?|group))",
                    r"\b(?:build|built|building|lost|lose|losing|earn|earned|mutual|damaged|broke|broken|level of|"
                    r"lot of|bit of|some|no|of|on) trust\b",
                    r"\btrust (?:is|was|has|between|takes)\b",
                    r"\b(?:dis|mis)trust",
                    r"\bgoodwill\b",
                    r"\bsuspicio",
                ),
                "{who} on trust: built through people or through contracts?",
                "#e377c2",
            ),
            CodeSeed(
                "Personal relationships",
                "Relationships between individuals (chief executives, officers, chairs) carrying the partnership.",
                ("RQ3",),
                (r"\brelationships?\b", r"\bknew\b.*\bfor (?:years|twenty)", r"got on"),
                "",
                "#f7b6d2",
            ),
        ),
    ),
    GroupSeed(
        "Partnership process and stages",
        "How partnerships form, change and end: the stages participants describe (E3).",
        "#8c564b",
        ("E3",),
        (
            CodeSeed(
                "Forming and negotiating",
                "Choosing partners, courtship, negotiation and the business case before a partnership starts.",
                ("E3",),
                (r"\bnegotiat", r"beauty parade", r"business case", r"approached us", r"due diligence"),
                "",
                "#8c564b",
            ),
            CodeSeed(
                "Post-merger integration",
                "Bringing organisations together after the decision: systems, structures, people.",
                ("E3", "E2"),
                (
                    r"post-merger",
                    r"integration (?:scorecard|milestones|programme|plan)",
                    r"integrat(?:e|ing) (?:the two|both|the organisations|the staff|the teams)",
                    r"\bharmonis",
                    r"two housing management systems",
                    r"bedding in",
                ),
                "{who} on integration: what was harder than expected?",
                "#c49c94",
            ),
            CodeSeed(
                "Exit and closure",
                "Partners withdrawing, contracts ending, partnerships being wound up or planned to end.",
                ("E3",),
                (
                    r"\bexit\b",
                    r"wound up",
                    r"\bwithdr(?:ew|aw|awn)\b",
                    r"dropped out",
                    r"pull(?:ed)? out",
                    r"walk away",
                ),
                "Ending partnerships: is closure planned, or does it just happen (E3)?",
                "#e7ba52",
            ),
        ),
    ),
    GroupSeed(
        "Emerging issues",
        "Issues that emerged during the fieldwork and became questions in their own right.",
        "#393b79",
        ("E4", "E5"),
        (
            CodeSeed(
                "Winners and losers in supply chains",
                "Who gains and who loses in supply chains and consortia: referrals, volumes, 'bid candy'.",
                ("E4",),
                (
                    r"bid candy",
                    r"(?:few|fewer|no|lower|low) (?:referrals|volumes)",
                    r"referrals (?:are|were) (?:lower|low)",
                    r"\bwinners?\b",
                    r"\blosers?\b",
                    r"who (?:wins|loses)",
                    r"volumes? (?:to nothing|we don't control)",
                    r"indicative volumes",
                ),
                "{who} on who wins and who loses (E4).",
                "#393b79",
            ),
            CodeSeed(
                "Small organisations and contract scale",
                "Small TSOs facing larger contracts: being squeezed out, or scaling up through consortia.",
                ("E5",),
                (
                    r"\bsmall(?:er)? (?:charit|organisation|group|provider|association|TSO)",
                    r"scal(?:e|ing) up",
                    r"bigger contracts",
                ),
                "{who}: small organisations and contract scale (E5).",
                "#5254a3",
            ),
        ),
    ),
)

IN_VIVO_HEADING = "In-vivo codes"

LEAD_PASSAGES_PER_INTERVIEW = 24
RESEARCHER_PASSAGES_PER_INTERVIEW = 20
RESEARCHER_FILES = (
    "housing-mergers-01-group-chief-executive.txt",
    "housing-mergers-02-board-chair.txt",
    "ni-housing-01-supporting-people-provider.txt",
    "ni-housing-02-housing-association-director.txt",
)
# Passages a participant asked to keep off the record are never coded.
OFF_THE_RECORD = re.compile(r"off the record|strictly confidential|stayed between us", re.IGNORECASE)
STAGE_DIRECTION = re.compile(r"\[[^\]\n]{1,30}\]\s*")
SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[A-Z0-9\"'“‘(\[£])")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


@dataclass
class Passage:
    start: int
    end: int
    scores: dict[str, int]
    speaker: str

    @property
    def score(self) -> int:
        return sum(self.scores.values())

    def top_codes(self, limit: int) -> list[str]:
        ranked = sorted(self.scores.items(), key=lambda item: (-item[1], item[0]))
        return [name for name, _ in ranked[:limit]]


def _sentences(text: str, start: int, end: int) -> list[Sentence]:
    sentences = []
    position = start
    for match in SENTENCE_END.finditer(text, start, end):
        closing = len(match.group(0)) - len(match.group(0).lstrip("\"'”’)]"))
        sentence_end = match.start() + closing
        sentences.append(Sentence(position, sentence_end, text[position:sentence_end]))
        position = match.end()
    if position < end:
        sentences.append(Sentence(position, end, text[position:end]))
    return [s for s in sentences if s.text.strip()]


def _compiled() -> dict[str, re.Pattern]:
    return {
        code.name: re.compile("|".join(f"(?:{pattern})" for pattern in code.patterns), re.IGNORECASE)
        for group in CODEBOOK
        for code in group.codes
    }


def _scores(text: str, patterns: dict[str, re.Pattern]) -> dict[str, int]:
    scores = {}
    for name, pattern in patterns.items():
        hits = len(pattern.findall(text))
        if hits:
            scores[name] = hits
    return scores


def find_passages(transcript: str, participants: set[str], *, max_sentences: int) -> list[Passage]:
    """Candidate passages: runs of up to `max_sentences` sentences in a participant's turn that fit some code."""
    patterns = _compiled()
    passages: list[Passage] = []
    skip_next = False
    for turn in split_turns(transcript):
        if turn.speaker.casefold() not in participants:
            continue
        if skip_next or OFF_THE_RECORD.search(turn.text):
            skip_next = bool(OFF_THE_RECORD.search(turn.text))
            continue
        label = TURN_PATTERN.match(turn.text)
        label_end = label.end() if label else 0
        sentences = _sentences(transcript, turn.start + label_end, turn.end)
        index = 0
        while index < len(sentences):
            scores = _scores(sentences[index].text, patterns)
            if not scores or len(sentences[index].text) < 40:
                index += 1
                continue
            last = index
            # Carry on while the next sentence continues the point: it fits one of the same codes.
            while last + 1 < len(sentences) and last - index + 1 < max_sentences:
                following = _scores(sentences[last + 1].text, patterns)
                if not set(following) & set(scores):
                    break
                for name, hits in following.items():
                    scores[name] = scores.get(name, 0) + hits
                last += 1
            start = sentences[index].start
            # A passage starts with the participant's words, not a transcriber's note such as "[laughs]".
            while (note := STAGE_DIRECTION.match(transcript, start, sentences[last].end)) is not None:
                start = note.end()
            passages.append(Passage(start, sentences[last].end, scores, turn.speaker))
            index = last + 1
    return passages


def choose_passages(passages: list[Passage], *, limit: int, per_code: int) -> list[Passage]:
    """The strongest passages, at most `per_code` led by any one code, kept in transcript order."""
    ranked = sorted(passages, key=lambda p: (-p.score, -len(p.scores), p.start))
    chosen: list[Passage] = []
    led_by: dict[str, int] = {}
    for passage in ranked:
        lead_code = passage.top_codes(1)[0]
        if led_by.get(lead_code, 0) >= per_code:
            continue
        led_by[lead_code] = led_by.get(lead_code, 0) + 1
        chosen.append(passage)
        if len(chosen) == limit:
            break
    return sorted(chosen, key=lambda p: p.start)


def load_codebook(*, project: ResearchProject, created_by) -> dict[str, Code]:
    """The demo codebook; codes that exist already (by name and place) are left as they are."""
    questions = {q.short_label: q for q in ResearchQuestion.objects.filter(group__project=project)}
    codes: dict[str, Code] = {}
    for order, group in enumerate(CODEBOOK, start=1):
        heading = Code.objects.filter(project=project, parent=None, name=group.name).first()
        if heading is None:
            heading = services.create_code(
                project=project,
                name=group.name,
                created_by=created_by,
                definition=group.definition,
                colour=group.colour,
                research_questions=[questions[label] for label in group.questions if label in questions],
                is_codable=False,
                order=order,
            )
        for child_order, seed in enumerate(group.codes, start=1):
            code = Code.objects.filter(project=project, parent=heading, name=seed.name).first()
            if code is None:
                code = services.create_code(
                    project=project,
                    name=seed.name,
                    parent=heading,
                    created_by=created_by,
                    definition=seed.definition,
                    colour=seed.colour or group.colour,
                    research_questions=[questions[label] for label in seed.questions if label in questions],
                    tags=seed.tags,
                    order=child_order,
                )
            codes[seed.name] = code
    if not Code.objects.filter(project=project, parent=None, name=IN_VIVO_HEADING).exists():
        heading = services.create_code(
            project=project,
            name=IN_VIVO_HEADING,
            created_by=created_by,
            definition="Codes named in the participants’ own words, made while coding.",
            colour="#636363",
            is_codable=False,
            order=len(CODEBOOK) + 1,
        )
    return codes


MEMOS = {seed.name: seed.memo for group in CODEBOOK for seed in group.codes if seed.memo}


def code_interview(
    *,
    interview: Interview,
    coder,
    codes: dict[str, Code],
    limit: int,
    per_code: int,
    max_sentences: int,
    max_codes: int,
) -> int:
    participants = {p.pseudonym.casefold() for p in interview.participants.all()}
    passages = choose_passages(
        find_passages(interview.transcript, participants, max_sentences=max_sentences), limit=limit, per_code=per_code
    )
    existing = set(Excerpt.objects.filter(interview=interview, coded_by=coder).values_list("start", "end"))
    memo_codes: set[str] = set()
    key_quotes = {id(p) for p in sorted(passages, key=lambda p: (-len(p.scores), -p.score, p.start))[:2]}
    new = []
    for passage in passages:
        if (passage.start, passage.end) in existing:
            continue
        names = passage.top_codes(max_codes)
        memo = ""
        # A first-pass memo on the first passage of a code in each interview that has a memo prompt.
        if names[0] in MEMOS and names[0] not in memo_codes and len(memo_codes) < 5:
            memo = MEMOS[names[0]].format(who=passage.speaker)
            memo_codes.add(names[0])
        new.append(
            services.NewExcerpt(
                start=passage.start,
                end=passage.end,
                codes=[codes[name] for name in names],
                memo=memo,
                is_key_quote=id(passage) in key_quotes,
            )
        )
    return len(services.create_excerpts(interview=interview, coded_by=coder, excerpts=new))


@transaction.atomic
def load_demo(*, project: ResearchProject) -> str:
    users = {user.username: user for user in get_user_model().objects.filter(username__in=["lead", "researcher"])}
    lead, researcher = users.get("lead"), users.get("researcher")
    if lead is None or researcher is None:
        return "skipped: the demo users are missing"
    codes = load_codebook(project=project, created_by=lead)
    interviews = Interview.objects.filter(project=project, transcript_source__startswith="demo:").order_by("pk")
    created = 0
    for interview in interviews:
        created += code_interview(
            interview=interview,
            coder=lead,
            codes=codes,
            limit=LEAD_PASSAGES_PER_INTERVIEW,
            per_code=3,
            max_sentences=3,
            max_codes=3,
        )
        if interview.transcript_source.removeprefix("demo:") in RESEARCHER_FILES:
            created += code_interview(
                interview=interview,
                coder=researcher,
                codes=codes,
                limit=RESEARCHER_PASSAGES_PER_INTERVIEW,
                per_code=2,
                max_sentences=2,
                max_codes=2,
            )
    total = Excerpt.objects.filter(interview__project=project).count()
    code_count = Code.objects.filter(project=project).count()
    return f"{code_count} codes; {created} excerpts added ({total} in all) by lead and researcher."
