from tests.factories.screens import (  # noqa: F401
    book,
    cashier,
    clerk,
    rooms,
    tables,
    tablet,
    terminal,
    till,
)
