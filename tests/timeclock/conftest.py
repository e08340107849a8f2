from tests.factories.screens import terminal  # noqa: F401  (a bound till of the shop)
