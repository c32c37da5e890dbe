"""Finnish business IDs (Y-tunnus): seven digits, a hyphen and a modulo-11 check digit."""

import pytest
from django.core.exceptions import ValidationError

from recruitment.models import Organisation, OrganisationKind
from recruitment.validators import business_id_check_digit, validate_business_id

FORMAT = "Business ID must look like 1234567-8 (seven digits, a hyphen, a check digit)."


def _with_check_digit(digits: str) -> str:
    return f"{digits}-{business_id_check_digit(digits)}"


def _remainder(digits: str) -> int:
    return sum(int(d) * w for d, w in zip(digits, (7, 9, 10, 5, 8, 4, 2), strict=True)) % 11


def test_check_digit_by_hand():
    # 0245437: 0*7 + 2*9 + 4*10 + 5*5 + 4*8 + 3*4 + 7*2 = 141; 141 % 11 = 9; 11 - 9 = 2.
    assert business_id_check_digit("0245437") == 2
    # Remainder 0 gives check digit 0.
    zero = next(f"{n:07d}" for n in range(1000, 2000) if _remainder(f"{n:07d}") == 0)
    assert business_id_check_digit(zero) == 0
    # Remainder 1 is never issued.
    one = next(f"{n:07d}" for n in range(1000, 2000) if _remainder(f"{n:07d}") == 1)
    assert business_id_check_digit(one) is None


@pytest.mark.parametrize(
    "value",
    [
        "0245437-2",
        "0112038-9",  # "0112038": remainder 2 → check digit 9
        *(
            _with_check_digit(f"{n:07d}")
            for n in (1572860, 2331972, 7654321)
            if _remainder(f"{n:07d}") != 1
        ),
    ],
)
def test_valid_business_ids(value):
    validate_business_id(value)


@pytest.mark.parametrize("value", ["0245437-3", "0245437-0", "0245437-9", "0112038-8"])
def test_wrong_check_digit(value):
    with pytest.raises(ValidationError) as exc:
        validate_business_id(value)
    assert exc.value.messages == [f"Business ID {value} has a wrong check digit."]
    assert exc.value.code == "business_id_checksum"


def test_seven_digits_with_remainder_one_never_form_a_valid_id():
    digits = next(f"{n:07d}" for n in range(2000, 3000) if _remainder(f"{n:07d}") == 1)
    for check in range(10):
        with pytest.raises(ValidationError, match="wrong check digit"):
            validate_business_id(f"{digits}-{check}")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "0245437",
        "02454372",
        "0245437-",
        "245437-2",
        "00245437-2",
        "0245437-22",
        "0245437 2",
        "0245437–2",  # en dash
        "ABCDEFG-H",
        " 0245437-2",
        "0245437-2 ",
        "0245437-2\n",
        "FI02454372",
        "٠٢٤٥٤٣٧-٢",  # Arabic-Indic digits are digits to Python, not to the register
    ],
)
def test_malformed_business_ids(value):
    with pytest.raises(ValidationError) as exc:
        validate_business_id(value)
    assert exc.value.messages == [FORMAT]
    assert exc.value.code == "business_id_format"


@pytest.mark.django_db
def test_organisation_full_clean_names_the_problem():
    org = Organisation(
        code="test-org",
        kind=OrganisationKind.EDUCATIONAL_INSTITUTION,
        name="Test",
        business_id="0245437-3",
    )
    with pytest.raises(ValidationError) as exc:
        org.full_clean()
    assert exc.value.message_dict == {
        "business_id": ["Business ID 0245437-3 has a wrong check digit."]
    }
    org.business_id = "0245437"
    with pytest.raises(ValidationError) as exc:
        org.full_clean()
    assert exc.value.message_dict == {"business_id": [FORMAT]}
    org.business_id = "0245437-2"
    org.full_clean()
    org.save()
    # A business ID belongs to one organisation; blank ones (not yet known) may repeat.
    twin = Organisation(
        code="twin",
        kind=OrganisationKind.EDUCATIONAL_INSTITUTION,
        name="Twin",
        business_id="0245437-2",
    )
    with pytest.raises(ValidationError) as exc:
        twin.full_clean()
    assert exc.value.message_dict == {
        "business_id": ["Business ID 0245437-2 already belongs to Test."]
    }
    twin.business_id = ""
    twin.full_clean()
    assert Organisation.objects.filter(business_id="0245437-2").count() == 1


@pytest.mark.django_db
def test_admin_form_shows_the_business_id_error(superuser, login):
    client = login(superuser)
    before = Organisation.objects.count()
    response = client.post(
        "/admin/recruitment/organisation/add/",
        {
            "code": "new-school",
            "kind": OrganisationKind.EDUCATIONAL_INSTITUTION,
            "name": "Uusi koulu",
            "business_id": "1234567-8",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    expected = _with_check_digit("1234567")
    assert expected != "1234567-8"
    assert "Business ID 1234567-8 has a wrong check digit." in response.text
    assert Organisation.objects.count() == before
    response = client.post(
        "/admin/recruitment/organisation/add/",
        {
            "code": "new-school",
            "kind": OrganisationKind.EDUCATIONAL_INSTITUTION,
            "name": "Uusi koulu",
            "business_id": expected,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert Organisation.objects.get(code="new-school").business_id == expected
