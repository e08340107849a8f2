"""Run N buyers at the same instant, each on its own database connection."""

import threading
from collections.abc import Callable

from django.db import connection


def race(buyers: list[Callable[[], object]], timeout: float = 60) -> list[object]:
    """Start every buyer behind one barrier; return each one's result or raised exception."""
    barrier = threading.Barrier(len(buyers))
    results: list[object] = [None] * len(buyers)

    def run(i: int, buy: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[i] = buy()
        except Exception as exc:  # the outcome under test, collected for the assertions
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, b)) for i, b in enumerate(buyers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a buyer is stuck"
    return results
