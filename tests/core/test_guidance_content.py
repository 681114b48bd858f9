"""The guide's content (resources/guidance/) and its loader: what it says, how it reads, and damaged files."""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path
from urllib.parse import urlparse

import pytest

from secondopinion_desktop.core import guidance
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.guidance import (
    ChecklistTemplateItem,
    FieldSpec,
    GuideSection,
    QuestionGroup,
    load_checklist_template,
    load_question_bank,
    load_sections,
)

REPO_GUIDANCE = Path(__file__).resolve().parents[2] / "resources" / "guidance"

SECTION_KEYS = [
    "00-start-here",
    "01-why",
    "02-what-it-can-give",
    "03-paying",
    "04-finding-a-doctor",
    "05-preparing",
    "05a-getting-your-records",
    "06-at-the-appointment",
]
RECORDS_SECTION = "05a-getting-your-records"
SOURCES_HEADING = "## Where this comes from"
# Patient-education pages of these organizations only: NCI, ACS, ASCO's Cancer.Net, NCCN, ABMS, OncoLink.
REPUTABLE_DOMAINS = {
    "www.cancer.gov",
    "www.cancer.org",
    "www.cancer.net",
    "www.nccn.org",
    "www.certificationmatters.org",
    "www.oncolink.org",
}
# The right-of-access section also names the rule itself and its official guidance, and the imaging sources.
MORE_DOMAINS = {
    RECORDS_SECTION: {"www.hhs.gov", "www.ecfr.gov", "www.radiologyinfo.org", "www.dicomstandard.org"},
}
HHS_ACCESS_GUIDANCE = "https://www.hhs.gov/hipaa/for-professionals/privacy/guidance/access/index.html"
ECFR_164_524 = "https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-E/section-164.524"
AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")


def sections_by_key() -> dict[str, GuideSection]:
    return {s.key: s for s in load_sections()}


def body(section: GuideSection) -> str:
    """The text after the title line."""
    return section.markdown.split("\n", 1)[1]


def prose(section: GuideSection) -> str:
    """The body without the sources list."""
    return body(section).split(SOURCES_HEADING)[0]


def plain(text: str) -> str:
    """Markdown reduced to its words: no autolinks, link targets, emphasis or list marks."""
    text = AUTOLINK.sub("", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    return re.sub(r"[*_`\[\]#]", "", text)


def word_count(text: str) -> int:
    return len(WORD.findall(plain(text)))


def sentence_lengths(section: GuideSection) -> list[int]:
    """Words per sentence in the prose; a heading is not a sentence, a list item is at least one."""
    lengths = []
    for line in prose(section).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = re.sub(r"^[-*]\s+", "", line)
        for sentence in re.split(r"(?<=[.!?])[\"”]?\s+", plain(line)):
            words = WORD.findall(sentence)
            if words:
                lengths.append(len(words))
    return lengths


# ----------------------------------------------------------------------------------------------------------
# The guide sections


def test_all_eight_sections_load_in_file_order_with_their_titles() -> None:
    sections = load_sections()
    assert [s.key for s in sections] == SECTION_KEYS
    topics = ["start", "why", "give", "pay", "find", "prepar", "records", "appointment"]
    for section, topic in zip(sections, topics, strict=True):
        assert topic in section.title.lower(), (section.key, section.title)
        assert section.markdown.startswith(f"# {section.title}\n")
        # exactly one top-level title; everything else is a ## subheading
        titles = [line for line in section.markdown.splitlines() if line.startswith("# ")]
        assert titles == [f"# {section.title}"]


def test_loaders_are_cached_and_read_the_installed_resources() -> None:
    for loader in (load_sections, load_checklist_template, load_question_bank):
        first, second = loader(), loader()
        assert first == second and first is not second  # a new list each time ...
        assert all(a is b for a, b in zip(first, second, strict=True))  # ... of the same cached objects
        first.clear()  # so a caller changing its list changes nothing for the others
        assert loader() == second
    assert load_sections() == guidance._load_sections_from(REPO_GUIDANCE / "sections")
    assert load_checklist_template() == guidance._load_checklist_from(REPO_GUIDANCE / "checklist.json")
    assert load_question_bank() == guidance._load_questions_from(REPO_GUIDANCE / "questions.json")


@pytest.mark.parametrize("key", SECTION_KEYS)
def test_section_length(key: str) -> None:
    section = sections_by_key()[key]
    words = word_count(body(section))
    if key == "00-start-here":
        assert 100 <= words <= 180, words
    else:
        # 150-350 words, whether or not the sources list is counted
        assert word_count(prose(section)) >= 150 and words <= 350, (word_count(prose(section)), words)
    assert "\n## " in body(section), "uses subheadings"


@pytest.mark.parametrize("key", SECTION_KEYS)
def test_sentences_are_short(key: str) -> None:
    lengths = sentence_lengths(sections_by_key()[key])
    assert len(lengths) >= 10
    assert statistics.mean(lengths) < 15, statistics.mean(lengths)
    assert max(lengths) <= 25, max(lengths)


REQUIRED_FACTS = {
    "00-start-here": [
        r"\bguide\b", r"checklist", r"still missing", r"questions to ask",
        r"does not give medical advice", r"decisions about your care together with you",
    ],
    "01-why": [
        r"second opinion", r"\bcommon\b", r"most doctors expect it", r"keeps changing",
        r"experience in your type of cancer",
    ],
    "02-what-it-can-give": [
        r"agree", r"diagnosis", r"\bstage\b", r"where the cancer is", r"whether it has spread",
        r"where it has spread", r"medical oncologists", r"radiation oncologists", r"surgical oncologists",
        r"different treatment plan", r"clinical trials", r"major cancer centers",
        r"NCI-designated cancer centers",
    ],
    "03-paying": [
        r"most insurance plans pay", r"suspected", r"diagnosed", r"before you (book|make an appointment)",
        r"\bnetwork\b", r"pre-approval", r"referral", r"authorization", r"require a second opinion before",
        r"reference number",
    ],
    "04-finding-a-doctor": [
        r"tell your doctor", r"rarely offended", r"suggest someone", r"find an oncologist", r"cancer\.net",
        r"hospitals and cancer centers", r"NCI-designated cancer centers", r"certification matters",
        r"specialty boards", r"friends and family", r"patient advocacy groups", r"cancer organizations",
        r"board certification", r"\btraining\b", r"\bexperience\b", r"your type of cancer",
    ],
    "05-preparing": [
        r"test results", r"blood work", r"imaging reports", r"images themselves", r"\bCD\b",
        r"pathology report", r"biopsy slides", r"before the visit", r"repeat the same tests",
        r"release form", r"\*\*Records\*\* tab", r"What's still missing",
    ],
    RECORDS_SECTION: [
        r"HIPAA Privacy Rule", r"45 CFR 164\.524", r"health care providers and health plans", r"in writing",
        r"own form", r"unreasonably delay", r"electronic copy", r"readily", r"30 calendar days",
        r"up to 30 more days", r"only once", r"within the first 30 days", r"reason", r"reasonable fee",
        r"copying", r"supplies", r"postage", r"approximate fee in advance", r"estimate",
        r"someone you name", r"second-opinion center", r"written and signed", r"who gets the copy and where",
        r"2020 court ruling", r"slides and tissue blocks", r"separate request", r"DICOM", r"\bCD\b",
        r"not legal advice", r"\*\*Requests\*\* tab",
    ],
    "06-at-the-appointment": [
        r"write down", r"someone you trust to come with you", r"explain it again", r"plain words",
        r"what you need to make a decision",
    ],
}


@pytest.mark.parametrize("key", SECTION_KEYS)
def test_each_section_says_what_it_must(key: str) -> None:
    text = " ".join(prose(sections_by_key()[key]).split())
    missing = [fact for fact in REQUIRED_FACTS[key] if not re.search(fact, text, re.IGNORECASE)]
    assert missing == []


@pytest.mark.parametrize("key", SECTION_KEYS[1:])
def test_each_section_ends_with_its_sources(key: str) -> None:
    section = sections_by_key()[key]
    assert section.markdown.count(SOURCES_HEADING) == 1
    tail = section.markdown.split(SOURCES_HEADING)[1]
    assert "\n#" not in tail, "the sources list is the last part"
    entries = [line for line in tail.strip().splitlines() if line.strip()]
    assert entries, "at least one source"
    for entry in entries:
        match = re.fullmatch(r"- ([^:<>]+(?::[^<>]+)?): <(https://[^>\s]+)>", entry)
        assert match, entry
        assert re.search(r"[A-Z]", match.group(1)), "names the organization"
        assert urlparse(match.group(2)).netloc in REPUTABLE_DOMAINS | MORE_DOMAINS.get(key, set()), entry
    assert any("cancer" in urlparse(u).netloc for u in AUTOLINK.findall(tail))


def test_the_records_section_names_the_rule_and_its_official_sources() -> None:
    section = sections_by_key()[RECORDS_SECTION]
    assert section.title == "Getting your records"
    sources = section.markdown.split(SOURCES_HEADING)[1]
    title = "Individuals' Right under HIPAA to Access their Health Information 45 CFR § 164.524"
    assert f"{title}: <{HHS_ACCESS_GUIDANCE}>" in sources
    assert f"45 CFR 164.524: <{ECFR_164_524}>" in sources
    assert "HHS Office for Civil Rights" in sources and "Electronic Code of Federal Regulations" in sources
    assert "164.524" in prose(section)
    # facts, not advice: no telling the reader what the law lets them demand or whom to sue
    text = prose(section).lower()
    for word in ("lawyer", "attorney", "sue", "complaint", "you are entitled", "demand", "must not refuse"):
        assert not re.search(rf"\b{word}\b", text), word


def test_the_records_section_sits_after_preparing_and_the_records_step_points_at_it() -> None:
    keys = [s.key for s in load_sections()]
    assert keys.index(RECORDS_SECTION) == keys.index("05-preparing") + 1
    steps = {i.key: i for i in load_checklist_template()}
    assert steps["request-records"].section == RECORDS_SECTION


def test_start_here_has_no_sources_list_and_no_links() -> None:
    section = sections_by_key()["00-start-here"]
    assert SOURCES_HEADING not in section.markdown
    assert "http" not in section.markdown


@pytest.mark.parametrize("key", SECTION_KEYS)
def test_nothing_to_fetch_no_images_no_html(key: str) -> None:
    markdown = sections_by_key()[key].markdown
    assert "![" not in markdown, "no images"
    assert not re.search(r"<(?!https://)[A-Za-z/!?][^>]*>", markdown), "no HTML tags (autolinks only)"
    assert not re.search(r"&[a-z]+;|&#", markdown), "no HTML entities"
    for target in re.findall(r"\]\(([^)]*)\)", markdown):  # inline links may only jump within the guide
        assert target.startswith("section:") and target.removeprefix("section:") in SECTION_KEYS, target
    assert "\t" not in markdown and "\r" not in markdown


@pytest.mark.parametrize("key", SECTION_KEYS)
def test_no_numbers_to_alarm_or_promise(key: str) -> None:
    text = prose(sections_by_key()[key]).lower()
    assert "%" not in text and "percent" not in text
    for word in ("guarantee", "cure rate", "survival rate", "you must not", "urgent", "deadly"):
        assert word not in text


def test_sources_cover_the_big_three() -> None:
    domains = {urlparse(u).netloc for s in load_sections() for u in AUTOLINK.findall(s.markdown)}
    assert {"www.cancer.gov", "www.cancer.org", "www.cancer.net"} <= domains


# ----------------------------------------------------------------------------------------------------------
# The checklist template


def test_checklist_has_ten_or_more_unique_steps_in_a_sensible_order() -> None:
    items = load_checklist_template()
    assert len(items) >= 10
    keys = [i.key for i in items]
    assert len(set(keys)) == len(keys)
    for key in keys:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", key), key
    assert keys[0] == "fill-profile"
    order = [
        "fill-profile", "tell-doctor", "call-insurer", "choose-doctor", "book-appointment", "request-records",
        "sign-releases", "get-imaging-cd", "send-pathology-slides", "write-questions", "arrange-companion",
    ]
    assert [k for k in keys if k in order] == order
    assert items[0].title == "Fill in the patient profile (diagnosis, stage, markers)"
    assert items[1].title == "Tell my current doctor I want a second opinion"


def test_every_step_is_plain_and_points_into_the_guide() -> None:
    sections = set(SECTION_KEYS) - {"00-start-here"}
    for item in load_checklist_template():
        assert isinstance(item, ChecklistTemplateItem)
        # the profile step points at "Start here", which names it first; the others into the guide proper
        assert item.section in (sections if item.key != "fill-profile" else {"00-start-here"}), item.key
        assert item.title.strip() and not item.title.endswith(".")
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", item.help.strip()) if s]
        assert 1 <= len(sentences) <= 2, item.key
        assert all(len(WORD.findall(s)) <= 25 for s in sentences), item.key


def test_the_insurer_step_asks_the_right_questions() -> None:
    insurer = {i.key: i for i in load_checklist_template()}["call-insurer"]
    assert insurer.section == "03-paying"
    fields = {f.key: f for f in insurer.fields}
    assert {"covered", "network", "preapproval", "reference", "spoke_with"} <= set(fields)
    choices = ("Yes", "No", "Not sure yet")
    assert fields["covered"] == FieldSpec("covered", "Is a second opinion covered?", choices)
    for key in ("network", "preapproval"):
        assert fields[key].choices == choices
    assert "network" in fields["network"].label and "pre-approval" in fields["preapproval"].label
    assert fields["reference"].choices == () and fields["spoke_with"].choices == ()  # free text
    assert len({f.key for f in insurer.fields}) == len(insurer.fields)


def test_the_records_steps_ask_for_images_and_slides_not_only_reports() -> None:
    items = {i.key: i for i in load_checklist_template()}
    assert "images" in items["get-imaging-cd"].help and "CD" in items["get-imaging-cd"].help
    slides = items["send-pathology-slides"]
    assert "slides" in slides.title and "blocks" in slides.title
    assert "release" in items["sign-releases"].title.lower()


# ----------------------------------------------------------------------------------------------------------
# The question bank


def test_question_bank_has_the_five_groups() -> None:
    groups = load_question_bank()
    assert all(isinstance(g, QuestionGroup) for g in groups)
    assert [g.title for g in groups] == [
        "Diagnosis and stage",
        "Treatment options and goals",
        "Side effects and daily life",
        "Clinical trials",
        "Logistics and cost",
    ]
    assert groups[0].key == "diagnosis"
    assert len({g.key for g in groups}) == 5
    for group in groups:
        assert 6 <= len(group.questions) <= 10, group.key


def test_questions_are_plain_unique_questions() -> None:
    seen: set[str] = set()
    for group in load_question_bank():
        for question in group.questions:
            assert question.endswith("?"), question
            assert question == question.strip() and "  " not in question
            assert question[0].isupper()
            assert len(WORD.findall(question)) <= 25, question
            folded = question.casefold()
            assert folded not in seen, f"duplicate: {question}"
            seen.add(folded)
    topics = " ".join(seen)
    for topic in ("stage", "spread", "side effects", "clinical trial", "insurance", "report"):
        assert topic in topics


# ----------------------------------------------------------------------------------------------------------
# Damaged files: a clear SecondOpinionError naming the file


GOOD_CHECKLIST = {
    "format": 1,
    "items": [
        {
            "key": "call-insurer", "title": "Call", "help": "Ask.", "section": "03-paying",
            "fields": [
                {"key": "covered", "label": "Covered?", "choices": ["Yes", "No"]},
                {"key": "ref", "label": "Ref"},
            ],
        },
    ],
}
GOOD_QUESTIONS = {"format": 1, "groups": [{"key": "diagnosis", "title": "Diagnosis", "questions": ["Why?"]}]}


def write(path: Path, data: object) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_good_temporary_files_load(tmp_path: Path) -> None:
    items = guidance._load_checklist_from(write(tmp_path / "checklist.json", GOOD_CHECKLIST))
    assert items == [
        ChecklistTemplateItem(
            "call-insurer", "Call", "Ask.", "03-paying",
            (FieldSpec("covered", "Covered?", ("Yes", "No")), FieldSpec("ref", "Ref", ())),
        )
    ]
    groups = guidance._load_questions_from(write(tmp_path / "questions.json", GOOD_QUESTIONS))
    assert groups == [QuestionGroup("diagnosis", "Diagnosis", ("Why?",))]
    folder = tmp_path / "sections"
    folder.mkdir()
    (folder / "02-b.md").write_text("# Bee\n\nText.\n", encoding="utf-8")
    (folder / "01-a.md").write_text("# Ay\n\nText.\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not a section", encoding="utf-8")
    assert guidance._load_sections_from(folder) == [
        GuideSection("01-a", "Ay", "# Ay\n\nText.\n"),
        GuideSection("02-b", "Bee", "# Bee\n\nText.\n"),
    ]


def _item(**changes: object) -> dict:
    return {"format": 1, "items": [{**GOOD_CHECKLIST["items"][0], **changes}]}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"format": 1, "items": [', "not valid JSON"),
        ("[]", "JSON object"),
        ({"items": GOOD_CHECKLIST["items"]}, "format"),
        ({"format": 2, "items": GOOD_CHECKLIST["items"]}, "newer version"),
        ({"format": 1}, "items"),
        ({"format": 1, "items": []}, "items"),
        ({"format": 1, "items": ["step"]}, "JSON object"),
        (_item(key=None), "key"),
        (_item(key="Call Insurer"), "Call Insurer"),
        (_item(title=""), "title"),
        (_item(title=3), "title"),
        (_item(fields="none"), "fields"),
        (_item(fields=[{"key": "covered"}]), "label"),
        (_item(fields=[{"key": "covered", "label": "Covered?", "choices": "Yes"}]), "choices"),
        (_item(fields=[{"key": "covered", "label": "Covered?", "choices": ["Yes", ""]}]), "choices"),
        (_item(fields=[{"key": "a", "label": "A"}, {"key": "a", "label": "B"}]), "twice"),
        ({"format": 1, "items": GOOD_CHECKLIST["items"] * 2}, "twice"),
    ],
)
def test_a_damaged_checklist_names_the_file(tmp_path: Path, content: object, expected: str) -> None:
    path = write(tmp_path / "checklist.json", content)
    with pytest.raises(SecondOpinionError) as caught:
        guidance._load_checklist_from(path)
    message = str(caught.value)
    assert "checklist.json" in message and expected in message
    assert "\n" not in message and "Traceback" not in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("not json", "not valid JSON"),
        ({"format": 1, "groups": [{"key": "diagnosis", "title": "Diagnosis"}]}, "questions"),
        ({"format": 1, "groups": [{"key": "diagnosis", "title": "D", "questions": [""]}]}, "question"),
        ({"format": 1, "groups": [{"key": "diagnosis", "questions": ["Why?"]}]}, "title"),
        ({"format": 1, "groups": GOOD_QUESTIONS["groups"] * 2}, "twice"),
        ({"format": "1", "groups": GOOD_QUESTIONS["groups"]}, "format"),
    ],
)
def test_a_damaged_question_bank_names_the_file(tmp_path: Path, content: object, expected: str) -> None:
    path = write(tmp_path / "questions.json", content)
    with pytest.raises(SecondOpinionError, match=re.escape(expected)) as caught:
        guidance._load_questions_from(path)
    assert "questions.json" in str(caught.value)


def test_missing_or_unreadable_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(SecondOpinionError, match="checklist.json.*missing"):
        guidance._load_checklist_from(tmp_path / "checklist.json")
    (tmp_path / "questions.json").write_bytes(b'{"format": 1, "groups": ["\xff"]}')
    with pytest.raises(SecondOpinionError, match="questions.json.*UTF-8"):
        guidance._load_questions_from(tmp_path / "questions.json")
    with pytest.raises(SecondOpinionError, match="sections.*missing"):
        guidance._load_sections_from(tmp_path / "sections")


def test_a_damaged_section_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "sections"
    folder.mkdir()
    with pytest.raises(SecondOpinionError, match="no sections"):
        guidance._load_sections_from(folder)
    (folder / "01-why.md").write_text("# Why\n\nText.\n", encoding="utf-8")
    (folder / "02-what.md").write_text("Why ask\n\nNo title line.\n", encoding="utf-8")
    with pytest.raises(SecondOpinionError, match=r"02-what\.md.*title"):
        guidance._load_sections_from(folder)
    (folder / "02-what.md").write_text("#\n\nEmpty title.\n", encoding="utf-8")
    with pytest.raises(SecondOpinionError, match=r"02-what\.md"):
        guidance._load_sections_from(folder)


def test_the_public_loaders_report_damaged_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The cached loaders read from guidance_root(); pointed at a damaged copy, they raise, not crash."""
    write(tmp_path / "checklist.json", "{")
    write(tmp_path / "questions.json", GOOD_QUESTIONS)
    (tmp_path / "sections").mkdir()
    monkeypatch.setattr(guidance, "guidance_root", lambda: tmp_path)
    guidance.clear_cache()
    try:
        with pytest.raises(SecondOpinionError, match="checklist.json"):
            load_checklist_template()
        assert load_question_bank() == [QuestionGroup("diagnosis", "Diagnosis", ("Why?",))]
        with pytest.raises(SecondOpinionError, match="sections"):
            load_sections()
    finally:
        guidance.clear_cache()
