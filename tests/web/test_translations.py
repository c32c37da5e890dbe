"""The Finnish and Swedish catalogues are complete and in use: every message has a reviewed
translation, the compiled catalogues match the sources, and pages render in the chosen language."""

import ast
import io
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone, translation
from pypdf import PdfReader

from recruitment.models import Role
from tests import factories

LANGUAGES = ["fi", "sv"]
_KEYWORD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr)(?:\[(\d+)\])? (".*")$')
_CONTINUATION = re.compile(r'^(".*")$')


def _unquote(literal: str) -> str:
    """A PO string literal uses C escapes, which Python's string literal syntax covers."""
    return ast.literal_eval(literal)


def read_po(language: str, locale_dir: Path | None = None) -> list[dict]:
    """The entries of a language's django.po (obsolete ``#~`` entries are skipped)."""
    locale_dir = locale_dir or Path(settings.LOCALE_PATHS[0])
    path = locale_dir / language / "LC_MESSAGES" / "django.po"
    entries: list[dict] = []
    entry: dict | None = None
    field: tuple[str, int] | None = None

    def finish():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            finish()
            entry, field = None, None
            continue
        if line.startswith("#~"):
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}, "line": number}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif match := _KEYWORD.match(line):
            keyword, index, literal = match.groups()
            if keyword == "msgstr":
                field = ("msgstr", int(index or 0))
                entry["msgstr"][field[1]] = _unquote(literal)
            else:
                field = (keyword, 0)
                entry[keyword] = _unquote(literal)
        elif (match := _CONTINUATION.match(line)) and field is not None:
            if field[0] == "msgstr":
                entry["msgstr"][field[1]] += _unquote(match.group(1))
            else:
                entry[field[0]] += _unquote(match.group(1))
        else:
            raise AssertionError(f"{path}:{number}: cannot read {line!r}")
    finish()
    return [e for e in entries if e["msgid"]]  # the header has an empty msgid


def assert_complete(language: str, entries: list[dict]) -> None:
    untranslated = [
        f"line {e['line']}: {e['msgid']!r}"
        for e in entries
        if not e["msgstr"] or any(not text.strip() for text in e["msgstr"].values())
    ]
    fuzzy = [f"line {e['line']}: {e['msgid']!r}" for e in entries if "fuzzy" in e["flags"]]
    plurals_incomplete = [
        f"line {e['line']}: {e['msgid']!r}"
        for e in entries
        if "msgid_plural" in e and sorted(e["msgstr"]) != [0, 1]
    ]
    assert untranslated == [], f"{language}: untranslated messages"
    assert fuzzy == [], f"{language}: fuzzy translations need review"
    assert plurals_incomplete == [], f"{language}: plural forms missing"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_reviewed(language):
    entries = read_po(language)
    assert len(entries) > 500  # the whole UI, not a stub catalogue
    assert_complete(language, entries)


NOT_UI = {".venv", "var", "bench", "tests", "docs", "locale", "node_modules"}


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext is not installed")
def test_every_translatable_string_in_the_code_is_in_the_catalogues(
    settings, tmp_path, monkeypatch
):
    """makemessages over the current code, into a copy of the catalogues: nothing new appears
    untranslated or fuzzy, so no string marked for translation was left out of the catalogues."""
    base = Path(settings.BASE_DIR)
    tree = tmp_path / "tree"
    tree.mkdir()
    for entry in base.iterdir():
        if entry.is_dir() and entry.name not in NOT_UI and not entry.name.startswith("."):
            (tree / entry.name).symlink_to(entry, target_is_directory=True)
    for language in LANGUAGES:
        (tree / "locale" / language / "LC_MESSAGES").mkdir(parents=True)
        shutil.copy(
            base / "locale" / language / "LC_MESSAGES" / "django.po",
            tree / "locale" / language / "LC_MESSAGES" / "django.po",
        )
    settings.LOCALE_PATHS = [str(tree / "locale")]
    monkeypatch.chdir(tree)
    call_command(
        "makemessages",
        locale=LANGUAGES,
        symlinks=True,
        no_wrap=True,
        ignore_patterns=sorted(NOT_UI),
        verbosity=0,
    )
    for language in LANGUAGES:
        entries = read_po(language, tree / "locale")
        assert len(entries) > 500
        assert_complete(language, entries)


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_the_source(language):
    """The .mo files are committed: every translation in the .po must be what users get."""
    stale = []
    with translation.override(language):
        for e in read_po(language):
            context = e.get("msgctxt")
            if "msgid_plural" in e:
                got = [
                    translation.npgettext(context, e["msgid"], e["msgid_plural"], n)
                    if context is not None
                    else translation.ngettext(e["msgid"], e["msgid_plural"], n)
                    for n in (1, 2)
                ]
                wanted = [e["msgstr"][0], e["msgstr"][1]]
            else:
                got = (
                    translation.pgettext(context, e["msgid"])
                    if context is not None
                    else translation.gettext(e["msgid"])
                )
                wanted = e["msgstr"][0]
            if got != wanted:
                stale.append(f"{e['msgid']!r}: {got!r} != {wanted!r}")
    assert stale == [], f"{language}: run `manage.py compilemessages`"


@pytest.fixture
def ministry_analyst(db):
    return factories.user_with_role(
        Role.MINISTRY_ANALYST, factories.county("stm"), username="analyst.sv"
    )


SWEDISH_DASHBOARD = [
    "Ministeriets statistik",
    "Halvårsrapporter",
    "Sammanfattning",
    "Filtrera statistiken",
    "Alla välfärdsområden",
]
FINNISH_DASHBOARD = [
    "Ministeriön tilastot",
    "Puolivuotisraportit",
    "Yhteenveto",
    "Suodata tilastoja",
    "Kaikki hyvinvointialueet",
]


@pytest.mark.parametrize("how", ["accept-language", "cookie"])
def test_monitoring_dashboard_in_swedish(client, ministry_analyst, how):
    client.force_login(ministry_analyst)
    if how == "cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
        response = client.get("/monitoring/", headers={"accept-language": "en"})
    else:
        response = client.get("/monitoring/", headers={"accept-language": "sv"})
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="sv"' in page
    for text in SWEDISH_DASHBOARD:
        assert text in page
    assert "Ministry statistics" not in page
    assert "Half-yearly reports" not in page


def test_monitoring_dashboard_in_finnish(client, ministry_analyst):
    client.force_login(ministry_analyst)
    response = client.get("/monitoring/", headers={"accept-language": "fi"})
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="fi"' in page
    for text in FINNISH_DASHBOARD:
        assert text in page
    assert "Ministry statistics" not in page


def test_half_year_report_pdf_in_swedish(
    client, ministry_analyst, eager_celery, django_capture_on_commit_callbacks
):
    """A report requested from the Swedish page is written in Swedish."""
    from monitoring.models import HalfYearReport

    client.force_login(ministry_analyst)
    year = timezone.localdate().year - 1
    sv = {"accept-language": "sv"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/monitoring/reports/", {"year": year, "half": 1}, headers=sv)
    assert response.status_code == 302
    report = HalfYearReport.objects.get(year=year, half=1)
    assert report.status == HalfYearReport.Status.DONE

    listing = client.get("/monitoring/reports/", headers=sv).content.decode()
    assert "Skapade rapporter" in listing and "Generated reports" not in listing

    pdf = client.get(f"/monitoring/reports/{report.pk}/pdf/", headers=sv)
    assert pdf.status_code == 200
    text = "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages
    )
    for swedish in [
        "Halvårsvis uppföljningsrapport",
        "Sammanfattning",
        "Etisk rekrytering",
        "Metod och datadatum",
    ]:
        assert swedish in text
    assert "Half-yearly monitoring report" not in text
    assert "Methodology and data date" not in text
