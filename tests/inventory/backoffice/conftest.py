import pytest


@pytest.fixture
def outlets(catalog):
    """The demo outlets of Les Pins (with their menus) on the test property."""
    from pos import demo

    demo.seed(catalog)
    return catalog
