"""Reference data shipped by the data migrations (recruitment/data/)."""

from collections import Counter

import pytest

from recruitment.models import Country, Organisation, OrganisationKind, Profession

pytestmark = pytest.mark.django_db

# DOMAIN.md's 21 counties, in the genitive of their official names.
COUNTIES_FI = [
    "Itä-Uudenmaan",
    "Keski-Uudenmaan",
    "Länsi-Uudenmaan",
    "Vantaan ja Keravan",
    "Varsinais-Suomen",
    "Satakunnan",
    "Kanta-Hämeen",
    "Pirkanmaan",
    "Päijät-Hämeen",
    "Kymenlaakson",
    "Etelä-Karjalan",
    "Etelä-Savon",
    "Pohjois-Savon",
    "Pohjois-Karjalan",
    "Keski-Suomen",
    "Etelä-Pohjanmaan",
    "Pohjanmaan",
    "Keski-Pohjanmaan",
    "Pohjois-Pohjanmaan",
    "Kainuun",
    "Lapin",
]


def test_21_wellbeing_services_counties_plus_helsinki_and_hus():
    counties = Organisation.objects.filter(kind=OrganisationKind.COUNTY)
    assert counties.count() == 23
    assert {"helsinki", "hus"} <= set(counties.values_list("code", flat=True))
    region_codes = sorted(
        counties.exclude(code__in=["helsinki", "hus"]).values_list("region_code", flat=True)
    )
    assert region_codes == [f"{n:02d}" for n in range(1, 22)]
    for county in counties:
        assert county.name and county.name_sv and county.name_en, county.code
    names = set(counties.exclude(code__in=["helsinki", "hus"]).values_list("name", flat=True))
    assert names == {f"{name} hyvinvointialue" for name in COUNTIES_FI}
    swedish = set(counties.values_list("name_sv", flat=True))
    for name in ("Österbottens välfärdsområde", "Östra Nylands välfärdsområde", "Helsingfors stad"):
        assert name in swedish


def test_authorities_and_the_ministry():
    kinds = dict(
        Organisation.objects.filter(
            code__in=["licensing-authority", "oph", "migri", "stm"]
        ).values_list("code", "kind")
    )
    assert kinds == {
        "licensing-authority": OrganisationKind.AUTHORITY,
        "oph": OrganisationKind.AUTHORITY,
        "migri": OrganisationKind.AUTHORITY,
        "stm": OrganisationKind.MINISTRY,
    }
    assert Organisation.objects.get(code="migri").name == "Maahanmuuttovirasto"


def test_professions_from_domain_md():
    professions = {p.code: p for p in Profession.objects.all()}
    assert set(professions) >= {
        "registered_nurse",
        "public_health_nurse",
        "midwife",
        "doctor",
        "dentist",
        "practical_nurse",
        "social_worker",
        "physiotherapist",
        "radiographer",
        "bioanalyst",
        "care_assistant",
    }
    nurse = professions["registered_nurse"]
    assert (nurse.name_fi, nurse.name_sv) == ("Sairaanhoitaja", "Sjukskötare")
    assert (nurse.sector, nurse.regulation, nurse.register) == ("health", "licensed", "terhikki")
    assert nurse.required_language_level == "B1"
    assert nurse.eu_automatic_recognition
    assert nurse.recognition_authority.code == "licensing-authority"
    practical = professions["practical_nurse"]
    assert (practical.regulation, practical.register) == ("protected_title", "both")
    assert professions["social_worker"].register == "suosikki"
    care = professions["care_assistant"]
    assert (care.regulation, care.register, care.required_language_level) == (
        "unregulated",
        "none",
        "",
    )
    assert not care.needs_recognition
    assert all(p.name_fi and p.name_sv and p.name_en for p in professions.values())


def test_249_countries_with_30_in_the_eu_eea():
    assert Country.objects.count() == 249
    eu_eea = set(Country.objects.filter(is_eu_eea=True).values_list("code", flat=True))
    assert len(eu_eea) == 30
    assert {"IS", "LI", "NO", "FI", "SE", "ES", "EE"} <= eu_eea
    assert not eu_eea & {"CH", "GB", "UA", "PH"}
    assert Country.objects.get(code="FI").name_fi == "Suomi"


def test_who_safeguards_list_2023_has_55_countries_by_region():
    listed = Country.objects.filter(who_safeguards_list=True)
    assert listed.count() == 55
    assert set(listed.values_list("who_list_version", flat=True)) == {"2023"}
    assert Counter(listed.values_list("who_region", flat=True)) == {
        "AFRO": 37,
        "WPRO": 8,
        "EMRO": 6,
        "SEARO": 3,
        "AMRO": 1,
    }
    assert {"NP", "PK", "BD", "HT", "GH", "NG", "YE", "TL"} <= set(
        listed.values_list("code", flat=True)
    )
    assert not listed.filter(code__in=["PH", "IN", "VN", "LK", "ES", "KE"]).exists()


@pytest.mark.parametrize(
    ("code", "needs_permit"),
    [("ES", False), ("EE", False), ("NO", False), ("SE", False), ("PH", True), ("NP", True)],
)
def test_who_needs_a_residence_permit(code, needs_permit):
    assert Country.objects.get(code=code).needs_residence_permit is needs_permit
