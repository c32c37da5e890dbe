"""Reference data shipped with Polku: counties, authorities, professions, countries.

Loaded by data migrations (with historical models) and idempotent: rows are matched on their
codes and updated, so admins' additions are never removed.
"""

import csv
import json
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def _json(name: str) -> dict:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def load_organisations(Organisation) -> None:
    data = _json("organisations.json")
    for code, region, name, name_sv, name_en in data["counties"]:
        Organisation.objects.update_or_create(
            code=code,
            defaults={
                "kind": "county",
                "region_code": region,
                "name": name,
                "name_sv": name_sv,
                "name_en": name_en,
            },
        )
    for code, kind, name, name_sv, name_en in data["others"]:
        Organisation.objects.update_or_create(
            code=code,
            defaults={"kind": kind, "name": name, "name_sv": name_sv, "name_en": name_en},
        )


def load_professions(Profession, Organisation) -> None:
    for row in _json("professions.json")["professions"]:
        row = dict(row)
        authority = row.pop("authority")
        row["recognition_authority"] = (
            Organisation.objects.get(code=authority) if authority else None
        )
        Profession.objects.update_or_create(code=row.pop("code"), defaults=row)


def load_countries(Country) -> None:
    with (DATA_DIR / "countries.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            code = row.pop("code")
            for flag in ("is_eu_eea", "is_nordic", "who_safeguards_list"):
                row[flag] = row[flag] == "1"
            Country.objects.update_or_create(code=code, defaults=row)


def load_all(apps) -> None:
    Organisation = apps.get_model("recruitment", "Organisation")
    load_organisations(Organisation)
    load_professions(apps.get_model("recruitment", "Profession"), Organisation)
    load_countries(apps.get_model("recruitment", "Country"))
