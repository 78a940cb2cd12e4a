"""Exchange files as other tools write them, built by the tests themselves."""

from __future__ import annotations

from .helpers import make_qdpx

RUTH = "{0A1B2C3D-0000-4000-8000-000000000001}"
ALEX = "0a1b2c3d-0000-4000-8000-000000000002"
RELATIONSHIPS = "{5F0E9A10-1111-4111-8111-000000000001}"
TRUST = "5F0E9A10-1111-4111-8111-000000000002"
CONFLICT = "{5f0e9a10-1111-4111-8111-000000000003}"
NEGOTIATION = "5F0E9A10-1111-4111-8111-000000000004"
SOURCE = "7C4D2E10-2222-4222-8222-000000000001"
SOURCE_FILE = "7C4D2E10-2222-4222-8222-000000000001.txt"
CASE = "3E3E3E3E-3333-4333-8333-000000000001"
SECTOR, REGION, LEVEL, GENDER = (f"9A9A9A9A-4444-4444-8444-00000000000{n}" for n in range(1, 5))
NOTES = [f"BEEFBEEF-5555-4555-8555-00000000000{n}" for n in range(1, 6)]
SELECTIONS = [f"ABCDABCD-6666-4666-8666-00000000000{n}" for n in range(1, 6)]

# As NVivo for Windows writes it: a BOM, CRLF line endings, emoji outside the BMP.
TEXT = (
    "Interviewer: How did it start? 😀\r\n\r\n"
    "Ruth: With trust 🤝, then a contract.\r\n\r\n"
    "Interviewer: And now?\r\n\r\n"
    "Ruth: Now we negotiate 💬 every year."
)
CANONICAL = TEXT.replace("\r\n", "\n")
UNITS = len(TEXT.encode("utf-16-le")) // 2


def utf16_span(text: str, phrase: str, occurrence: int = 0) -> tuple[int, int]:
    """Where `phrase` sits in `text`, counted in UTF-16 code units (as NVivo counts)."""
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(phrase, index + 1)
    units = len(text[:index].encode("utf-16-le")) // 2
    return units, units + len(phrase.encode("utf-16-le")) // 2


def code_point_span(text: str, phrase: str) -> tuple[int, int]:
    index = text.index(phrase)
    return index, index + len(phrase)


def selection(
    guid: str, span: tuple[int, int], *, user: str, codings: list[tuple[str, str]], name: str = "", extra: str = ""
) -> str:
    coding_xml = "".join(
        f'<Coding guid="C0D1C0D1-7777-4777-8777-{n:012d}" creatingUser="{who}" '
        f'creationDateTime="2024-03-0{n % 9 + 1}T10:00:00Z">'
        f'<CodeRef targetGUID="{code}"/></Coding>'
        for n, (code, who) in enumerate(codings, start=int(guid[-1]) * 10)
    )
    name_attr = f' name="{name}"' if name else ""
    return (
        f'<PlainTextSelection guid="{guid}"{name_attr} startPosition="{span[0]}" endPosition="{span[1]}" '
        f'creatingUser="{user}" creationDateTime="2024-02-01T09:30:00Z" modifiedDateTime="2024-02-02T09:30:00Z">'
        f"{extra}{coding_xml}</PlainTextSelection>"
    )


def nvivo_like_project(
    *, namespace: str = ' xmlns="urn:QDA-XML:project:1.0"', origin: str = "NVivo for Windows 12.6"
) -> str:
    trust = utf16_span(TEXT, "trust 🤝, then a contract")
    with_trust = utf16_span(TEXT, "With trust")
    negotiate = utf16_span(TEXT, "we negotiate 💬 every year")
    selections = "".join(
        [
            selection(
                SELECTIONS[0],
                trust,
                user=RUTH,
                codings=[(TRUST, RUTH), (CONFLICT, ALEX), (NEGOTIATION, ALEX)],
                extra="<Description>Where it began.</Description>",
            ),
            selection(SELECTIONS[1], with_trust, user=ALEX, codings=[(TRUST, ALEX)]),
            selection(SELECTIONS[2], negotiate, user=RUTH, codings=[(NEGOTIATION, RUTH)]),
            selection(SELECTIONS[3], (UNITS - 5, UNITS + 10), user=RUTH, codings=[(TRUST, RUTH)]),
            selection(
                SELECTIONS[4],
                utf16_span(TEXT, "How did it start?"),
                user=RUTH,
                codings=[],
                extra=f'<NoteRef targetGUID="{NOTES[3]}"/>',
            ),
        ]
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project{namespace} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="Riverside study" origin="{origin}"
  creatingUserGUID="{RUTH}" creationDateTime="2024-01-01T00:00:00Z">
  <Users>
    <User guid="{RUTH}" name="Ruth Ellis" />
    <User guid="{ALEX}" name="Alex Morgan" id="AM" />
  </Users>
  <CodeBook>
    <Codes>
      <Code guid="{RELATIONSHIPS}" name="Relationships" isCodable="false" color="#A30">
        <Description>How the partners relate.</Description>
        <Code guid="{TRUST}" name="Trust" isCodable="true" color="#00aa00">
          <Description />
          <NoteRef targetGUID="{NOTES[0]}" />
        </Code>
        <Code guid="{CONFLICT}" name="Conflict" isCodable="true">
          <Code guid="{NEGOTIATION}" name="Negotiation" isCodable="true" color="not a colour" />
        </Code>
      </Code>
    </Codes>
  </CodeBook>
  <Variables>
    <Variable guid="{SECTOR}" name="Sector" typeOfVariable="Text" />
    <Variable guid="{REGION}" name="region" typeOfVariable="Text" />
    <Variable guid="{LEVEL}" name="Level of analysis" typeOfVariable="Text" />
    <Variable guid="{GENDER}" name="Gender" typeOfVariable="Text" />
  </Variables>
  <Cases>
    <Case guid="{CASE}" name="Riverside">
      <Description>Housing partnership in the North West.</Description>
      <VariableValue><VariableRef targetGUID="{SECTOR}" /><TextValue>Housing</TextValue></VariableValue>
      <VariableValue><VariableRef targetGUID="{REGION}" /><TextValue>North West</TextValue></VariableValue>
      <VariableValue><VariableRef targetGUID="{LEVEL}" /><TextValue>partnership</TextValue></VariableValue>
      <VariableValue><VariableRef targetGUID="{GENDER}" /><TextValue>Female</TextValue></VariableValue>
      <SourceRef targetGUID="{SOURCE}" />
    </Case>
  </Cases>
  <Sources>
    <TextSource guid="{SOURCE}" name="Interview with Ruth" plainTextPath="internal://{SOURCE_FILE}"
      creatingUser="{RUTH}" creationDateTime="2024-01-10T12:00:00Z">
      <Description />
      {selections}
      <NoteRef targetGUID="{NOTES[1]}" />
    </TextSource>
  </Sources>
  <Notes>
    <Note guid="{NOTES[0]}" name="Trust memo" creatingUser="{RUTH}" creationDateTime="2023-11-05T08:00:00Z"
      modifiedDateTime="2023-12-24T18:30:00Z">
      <PlainTextContent>Trust grows over years.</PlainTextContent>
    </Note>
    <Note guid="{NOTES[1]}" name="About the interview" creatingUser="{ALEX}" creationDateTime="2024-01-11T08:00:00Z">
      <PlainTextContent>Recorded in the café.</PlainTextContent>
    </Note>
    <Note guid="{NOTES[2]}" name="Project log" creatingUser="{RUTH}" creationDateTime="2024-01-12T08:00:00Z">
      <PlainTextContent>Started coding.</PlainTextContent>
    </Note>
    <Note guid="{NOTES[3]}" name="Opening" creatingUser="{RUTH}">
      <PlainTextContent>A standard opening question.</PlainTextContent>
    </Note>
    <Note guid="{NOTES[4]}" name="Empty" creatingUser="{RUTH}">
      <PlainTextContent />
    </Note>
  </Notes>
  <NoteRef targetGUID="{NOTES[2]}" />
</Project>
"""


def nvivo_like_qdpx(**kwargs) -> bytes:
    return make_qdpx(nvivo_like_project(**kwargs), {f"Sources/{SOURCE_FILE}": "\ufeff".encode() + TEXT.encode("utf-8")})


def plain_project(
    *,
    name: str = "Interview 3",
    source_extra: str = "",
    selections: str = "",
    notes: str = "",
    codes: str = "",
    source_path: str = f"internal://{SOURCE_FILE}",
) -> str:
    """A small project with one text source (its text in `sources/SOURCE_FILE`) and the code Trust."""
    codes = codes or f'<Code guid="{TRUST}" name="Trust" isCodable="true" />'
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Plain" origin="Some tool 2.0" creatingUserGUID="{RUTH}">
  <Users><User guid="{RUTH}" name="Ruth Ellis" /></Users>
  <CodeBook><Codes>{codes}</Codes></CodeBook>
  <Sources>
    <TextSource guid="{SOURCE}" name="{name}" plainTextPath="{source_path}" creatingUser="{RUTH}">
      {source_extra}{selections}
    </TextSource>
  </Sources>
  {f"<Notes>{notes}</Notes>" if notes else ""}
</Project>
"""


def plain_qdpx(text: str | bytes, **kwargs) -> bytes:
    return make_qdpx(plain_project(**kwargs), {f"sources/{SOURCE_FILE}": text})
