"""Regenerate recruitment/data/countries.csv from pycountry (ISO 3166-1 with fi/sv names).

Run by hand when ISO 3166-1 changes; the CSV is committed and loaded by a data migration, so
production never needs pycountry. Flags (EU/EEA, Nordic, WHO safeguards list 2023) are ours.
"""

import csv
import gettext
from pathlib import Path

import pycountry

EU = [
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
]
EEA_ONLY = ["IS", "LI", "NO"]
NORDIC = ["DK", "FI", "IS", "NO", "SE", "AX", "FO", "GL"]
# WHO health workforce support and safeguards list 2023, by WHO region.
WHO_2023 = {
    "AFRO": "AO BJ BF BI CM CF TD KM CG CI CD GQ ER ET GA GM GH GN GW LS LR MG MW ML MR MZ NE "
    "NG RW SN SL SS TG UG TZ ZM ZW",
    "WPRO": "KI LA FM PG WS SB TV VU",
    "EMRO": "AF DJ PK SO SD YE",
    "SEARO": "BD NP TL",
    "AMRO": "HT",
}


def main() -> None:
    fi = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fi"])
    sv = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["sv"])
    region_of = {code: region for region, codes in WHO_2023.items() for code in codes.split()}
    assert len(region_of) == 55, len(region_of)
    out = Path(__file__).resolve().parent.parent / "recruitment" / "data" / "countries.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "code",
                "alpha3",
                "numeric",
                "name_en",
                "name_fi",
                "name_sv",
                "is_eu_eea",
                "is_nordic",
                "who_safeguards_list",
                "who_list_version",
                "who_region",
            ]
        )
        for c in sorted(pycountry.countries, key=lambda c: c.alpha_2):
            name = getattr(c, "common_name", None) or c.name
            on_list = c.alpha_2 in region_of
            writer.writerow(
                [
                    c.alpha_2,
                    c.alpha_3,
                    c.numeric,
                    name,
                    fi.gettext(c.name),
                    sv.gettext(c.name),
                    int(c.alpha_2 in EU or c.alpha_2 in EEA_ONLY),
                    int(c.alpha_2 in NORDIC),
                    int(on_list),
                    "2023" if on_list else "",
                    region_of.get(c.alpha_2, ""),
                ]
            )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
