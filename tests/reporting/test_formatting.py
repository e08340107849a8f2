"""The dashboard's fast money text is the shared one: its tables once said "0,00" and
"1 234,50" with no euro sign, beside screens that say "1 234,50 €"."""

from decimal import Decimal

import pytest
from django.utils import translation

from core import formatting
from reporting import formatting as fast


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    "value", ["0", "0.5", "12", "-12", "1234.5", "-1234.56", "1234567.89", "0.004"]
)
def test_an_amount_reads_as_everywhere_else(language, value):
    with translation.override(language):
        assert fast.money(Decimal(value)) == formatting.money(Decimal(value))


def test_a_french_amount_has_its_thousands_apart_and_the_euro_sign_after():
    with translation.override("fr"):
        assert fast.money(Decimal("1249.5")) == "1\u202f249,50\u00a0€"
        assert fast.money(None) == "—"
        assert fast.percent(Decimal("80.25")) == "80,2\u00a0%"
    with translation.override("en"):
        assert fast.money(Decimal("-3")) == "-€3.00"
