"""The demo (`make run`) has a click-and-collect page for the shop's bakery corner, with
shop hours and pickups days ahead, and seed_demo prints its link: a new user opens it and
can order to collect."""

import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_demo_prints_the_shops_click_and_collect_link_and_the_page_takes_orders(capsys):
    cache.clear()
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent: still one page, the same link
    out = capsys.readouterr().out
    links = re.findall(r"Click and collect · Boutique\s+(/collect/\S+/)", out)
    assert len(links) == 2 and links[0] == links[1], out
    page = Client().get(f"{links[0]}?lang=fr")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Pain de campagne" in html and "Fougasse aux olives" in html
    assert 'data-testid="pickup-day"' in html  # up to three days ahead
    assert "Commander et payer au retrait" in html
    assert 'data-testid="order" disabled' not in html  # open for orders, whatever the hour
