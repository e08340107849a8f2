"""The offline banner counts the sales a till keeps with the page language's plural: French
writes "0 vente" and "1 vente" in the singular, English "0 sales" (the banner's script picks
the form with Intl.PluralRules; both forms come from the catalogue)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "language, one, other",
    [
        ("fr", "vente en attente de synchronisation", "ventes en attente de synchronisation"),
        ("en", "sale waiting to sync", "sales waiting to sync"),
    ],
)
def test_the_banner_carries_both_forms_in_the_screens_language(till, language, one, other):
    till.cookies["django_language"] = language
    page = till.get("/pos/counter/").content.decode()
    assert f'<html lang="{language}"' in page
    assert f'data-l-waiting-one="{one}"' in page
    assert f'data-l-waiting-other="{other}"' in page
