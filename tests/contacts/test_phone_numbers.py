from __future__ import annotations

import pytest

from callcenter.contacts.identities import normalize_email, normalize_phone
from callcenter.errors import InvalidInput


@pytest.mark.parametrize(
    ("written", "region", "e164"),
    [
        ("(555) 123-0001", "US", "+15551230001"),
        ("555.123.0001", "US", "+15551230001"),
        ("1-555-123-0001", "US", "+15551230001"),
        ("+1 555 123 0001", "GB", "+15551230001"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("0044 20 7946 0958", "US", "+442079460958"),
        ("030 901820", "DE", "+4930901820"),
        ("01 23 45 67 89", "FR", "+33123456789"),
        ("06-12345678", "NL", "+31612345678"),
        ("098765 43210", "IN", "+919876543210"),
        ("03-1234-5678", "JP", "+81312345678"),
    ],
)
def test_national_and_international_formats_become_e164(written: str, region: str, e164: str) -> None:
    assert normalize_phone(written, region) == e164


@pytest.mark.parametrize("written", ["", "hello", "12", "+1 555 123 0001 999 999 999"])
def test_not_a_phone_number_is_refused_with_the_input_in_the_message(written: str) -> None:
    with pytest.raises(InvalidInput) as error:
        normalize_phone(written, "US")
    assert repr(written) in str(error.value)


def test_email_is_lower_cased_and_checked() -> None:
    assert normalize_email("  Alice.Smith@Example.COM ") == "alice.smith@example.com"
    with pytest.raises(InvalidInput):
        normalize_email("alice@localhost")
