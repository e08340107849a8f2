"""The nightly export task writes yesterday's FEC and CSV for every property."""

from datetime import timedelta

import pytest

from billing.tasks import accounting_exports_task

pytestmark = pytest.mark.django_db


def test_nightly_exports_land_in_var_dir(hotel, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    hotel.siret = "12345678900012"
    hotel.save()
    yesterday = hotel.business_date() - timedelta(days=1)

    written = accounting_exports_task()

    folder = tmp_path / "exports" / hotel.slug
    assert written >= 2
    fec = folder / f"123456789FEC{yesterday:%Y%m%d}.txt"
    assert fec.read_text().startswith("JournalCode\tJournalLib\tEcritureNum")
    assert len(list(folder.glob("*.csv"))) == 1
