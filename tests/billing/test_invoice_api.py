"""Invoice API: issue (split folio), read, credit; scoped, role-gated, idempotent."""

from decimal import Decimal

import pytest

from billing.models import Invoice
from billing.services.folios import ChargeInput, folio_open, folio_post_charges
from core.models import Role
from crm.models import Company

pytestmark = pytest.mark.django_db
D = Decimal


def url(hotel, path):
    return f"/api/v1/properties/{hotel.slug}/{path}"


@pytest.fixture
def folio(hotel):
    folio = folio_open(property=hotel, holder_name="Jeanne Dupont")
    folio_post_charges(
        folio=folio,
        charges=[
            ChargeInput(
                "Chambre", D("1"), D("110"), D("110"), D("10"), "accommodation", source="n"
            ),
            ChargeInput("Bière", D("1"), D("6"), D("6"), D("20"), "alcohol", source="b"),
        ],
    )
    return folio


@pytest.fixture
def clerk(hotel, staff_of):
    return staff_of(hotel, Role.FRONT_DESK, username="clerk")


def test_split_folio_issue_read_and_credit(client, hotel, folio, clerk, manager):
    company = Company.objects.create(organization=hotel.organization, name="ACME SA")
    room = folio.lines.get(source="n")
    client.force_login(clerk)

    first = client.post(
        url(hotel, f"folios/{folio.public_id}/invoices"),
        {"lines": [room.pk], "company": company.pk},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="inv-1",
    )
    replay = client.post(
        url(hotel, f"folios/{folio.public_id}/invoices"),
        {"lines": [room.pk], "company": company.pk},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="inv-1",
    )
    rest = client.post(
        url(hotel, f"folios/{folio.public_id}/invoices"),
        {},
        content_type="application/json",
    )

    assert first.status_code == 201, first.json()
    assert replay.json()["number"] == first.json()["number"]
    assert first.json()["buyer"]["name"] == "ACME SA" and first.json()["total"] == "110.00"
    assert rest.status_code == 201 and rest.json()["total"] == "6.00"
    assert Invoice.objects.count() == 2
    detail = client.get(url(hotel, f"invoices/{first.json()['invoice']}"))
    assert detail.json()["vat"] == [
        {"rate": "10.00", "net": "100.00", "vat": "10.00", "gross": "110.00"}
    ]
    # a front-desk clerk may not credit
    credit_url = url(hotel, f"invoices/{first.json()['invoice']}/credit-notes")
    assert (
        client.post(credit_url, {"reason": "x"}, content_type="application/json").status_code == 403
    )
    client.force_login(manager)
    note = client.post(
        credit_url, {"reason": "Geste", "amount": "10.00"}, content_type="application/json"
    )
    assert note.status_code == 201 and note.json()["total"] == "-10.00"
    assert note.json()["original"] == first.json()["number"]


def test_errors_change_nothing(client, hotel, other_hotel, folio, clerk):
    client.force_login(clerk)
    foreign = folio_open(property=other_hotel, holder_name="X")
    assert (
        client.post(
            url(hotel, f"folios/{foreign.public_id}/invoices"),
            {},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert (
        client.post(
            url(hotel, f"folios/{folio.public_id}/invoices"),
            {"lines": [999999]},
            content_type="application/json",
        ).status_code
        == 422
    )
    assert (
        client.post(
            url(hotel, f"folios/{folio.public_id}/invoices"),
            {"company": 999999},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert not Invoice.objects.exists()
