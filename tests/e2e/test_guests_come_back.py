"""Story S6 as one test: after their stay, guests who spent more than 50 € at the bar get a
spa voucher by e-mail (only those who consented); one is redeemed at the spa's till; the
campaign's report shows 1 conversion with its revenue. The manager builds the segment and
the campaign in Chromium (live count, preview, start, report), at tablet and laptop sizes."""

import re
from decimal import Decimal

import pytest
from django.core import mail

from billing.services.payments import TenderInput
from core.formatting import money
from crm.models import Campaign, Consent, GiftCard
from crm.services.campaigns import campaigns_release_due
from crm.services.gdpr import consent_record
from inventory.models import Product, RevenueCategory
from pms.models import Reservation
from pms.services.stays import DepartureBalance, reservation_check_out
from pos.services.checkout import order_checkout
from reporting.campaigns import campaigns_trigger
from tests.e2e.test_browser import (  # noqa: F401  (the browser fixtures)
    _async_unsafe,
    browser,
    open_as,
    screenshot,
    viewport,
)
from tests.factories.pos import make_terminal
from tests.factories.stays import make_stay
from tests.pos.helpers import due, line

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = Decimal


def assert_no_wrap(page, selector):
    """Each matching cell holds one line of text (an amount or a count never wraps)."""
    for cell in page.locator(selector).all():
        box = cell.bounding_box()
        line_height = cell.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 24")
        assert box["height"] < 2 * line_height + 16, (cell.inner_text(), box)


def test_guests_who_spent_at_the_bar_get_a_spa_voucher_and_one_comes_back(
    open_as,  # noqa: F811
    live_server,
    viewport,  # noqa: F811
    hotel,
    catalog,
    product,
    manager,
    celery_eager,
):
    # given: three guests in house; Alice and Bruno drink more than 50 € at the bar, Chloé
    # less; Alice and Chloé accepted marketing e-mails at check-in, Bruno did not
    bar = make_terminal(hotel, outlet_code="bar", outlet_name="Bar")
    spa = make_terminal(hotel, outlet_code="spa", outlet_name="Spa", name="Caisse spa")
    hammam = Product.objects.create(
        property=hotel,
        code="hammam",
        name_fr="Accès hammam",
        price=D("40.00"),
        vat_rate=D("20.00"),
        revenue_category=RevenueCategory.SERVICES,
    )
    today = hotel.business_date()
    guests = {}
    for number, name, drinks, consents in (
        ("11", "Alice", "5", True),  # 55 €
        ("12", "Bruno", "6", False),  # 66 €
        ("13", "Chloé", "1", True),  # 11 €
    ):
        stay = make_stay(hotel, room_number=number, last_name=name)
        reservation = stay.reservation
        Reservation.objects.filter(pk=reservation.pk).update(departure=today)
        reservation.refresh_from_db()
        reservation.guest.email = f"{name.lower()}@example.org"
        reservation.guest.save(update_fields=["email"])
        consent_record(
            guest=reservation.guest,
            given=consents,
            source=Consent.Source.CHECK_IN,
            wording="J'accepte de recevoir les offres de l'hôtel par e-mail.",
            property=hotel,
        )
        spritz = product("spritz")
        order_checkout(
            property=hotel,
            terminal=bar,
            actor=manager,
            lines=[line(spritz, drinks)],
            tenders=[TenderInput(method="cash", amount=due(hotel, [line(spritz, drinks)]))],
            guest=reservation.guest,
        )
        guests[name] = reservation

    # when: the manager builds the segment in the browser, the count live beside the form
    page = open_as(manager)
    page.goto(f"{live_server.url}/marketing/")
    page.click("[data-testid=new-segment]")
    page.fill("#name", "Bar > 50 € pendant le séjour")
    page.fill("[data-testid=spent-min]", "50")
    page.select_option("[data-testid=spent-outlet]", "Bar")
    page.check("[data-testid=spent-during-stay]")
    page.wait_for_selector("[data-testid=segment-count] >> text=2 guests")
    page.check("[data-testid=consent]")
    page.wait_for_selector("[data-testid=segment-count] >> text=1 guest")
    screenshot(page, "marketing-segment-form", viewport)
    page.click("[data-testid=save-segment]")
    page.wait_for_selector("text=Segment saved.")
    assert "1" in page.locator("[data-testid=segments] td.num").first.inner_text()
    # and the campaign: the day of check-out, a 20 € voucher valid at the spa only
    page.click("[data-testid=new-campaign]")
    page.fill("#name", "Spa après le séjour")
    page.select_option("#segment", label="Bar > 50 € pendant le séjour")
    page.select_option("#trigger", "after_check_out")
    page.fill("#trigger_days", "0")
    page.fill("#subject_fr", "Un moment au spa, {first_name} ?")
    page.fill("#body_fr", "Merci {first_name} ! Votre bon {voucher_code} de {voucher_value}.")
    page.fill("#subject_en", "Time for the spa, {first_name}?")
    page.fill(
        "#body_en", "Thank you {first_name}! Your voucher {voucher_code} worth {voucher_value}."
    )
    page.fill("#voucher_amount", "20")
    page.check("input[name=voucher_outlets][value=Spa]")
    screenshot(page, "marketing-campaign-form", viewport)
    page.click("[data-testid=save-campaign]")
    page.wait_for_selector("[data-testid=preview-fr]")
    preview = page.locator("[data-testid=preview-fr]").inner_text()
    assert "Merci Jeanne" in preview and "20,00\u00a0€" in preview  # as a French guest reads it
    page.click("[data-testid=send-campaign]")
    page.wait_for_selector("text=Campaign started")
    campaign = Campaign.objects.get()
    assert campaign.status == Campaign.Status.ACTIVE

    # and the three check out; the beat queues who is due and sends at the campaign's rate
    for reservation in guests.values():
        reservation_check_out(
            reservation=reservation, actor=manager, open_balance=DepartureBalance(pay_method="card")
        )
    assert campaigns_trigger() == 1
    assert campaigns_release_due() == 1

    # then: one e-mail, to Alice only (Bruno did not consent, Chloé spent too little)
    # (each guest also got the stay's thank-you at check-out: the campaign's carry its
    # unsubscribe header)
    sent = [m for m in mail.outbox if "List-Unsubscribe" in m.extra_headers]
    assert [m.to for m in sent] == [["alice@example.org"]]
    message = sent[0]
    assert message.subject == "Un moment au spa, Jeanne ?"
    code = re.search(r"bon ([A-Z0-9]{16}) de 20,00", message.body).group(1)
    assert message.attachments[0][0] == f"voucher-{code}.png"

    # when: Alice comes to the spa with her voucher (20 € off the hammam, the rest in cash)
    price = due(hotel, [line(hammam)])
    order_checkout(
        property=hotel,
        terminal=spa,
        actor=manager,
        lines=[line(hammam)],
        tenders=[
            TenderInput(method="gift_card", amount=D("20.00"), terminal_reference=code),
            TenderInput(method="cash", amount=price - D("20.00")),
        ],
    )
    assert GiftCard.objects.get(code=code).status == GiftCard.Status.USED

    # then: the report shows the conversion and its revenue
    page.goto(f"{live_server.url}/marketing/campaigns/{campaign.pk}/")
    report = page.locator("[data-testid=campaign-report]")
    assert report.locator("[data-testid=report-delivered]").inner_text() == "1"
    assert report.locator("[data-testid=report-redeemed]").inner_text() == "1"
    assert report.locator("[data-testid=report-revenue]").inner_text() == money(price)
    assert report.locator("[data-testid=report-conversion]").inner_text() == "100%"
    assert_no_wrap(page, "[data-testid=campaign-report] td.num")
    screenshot(page, "marketing-campaign-report", viewport)
