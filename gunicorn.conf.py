"""gunicorn settings read from the project's root (gunicorn loads ./gunicorn.conf.py by
default): the docker-compose web service and the benchmarks run with them.

Garbage collection runs between requests, not inside one. config/wsgi.py freezes what start-up
loaded and raises the automatic thresholds; measured in the waiter benchmark's workers, the
automatic collections left then still paused a request every ~50 for 10–45 ms (the young
generation holding the cycles of the last requests). Here each request's cycles are collected
once its response has been sent, when no one waits: a fraction of a millisecond."""

import gc

# every 10th request also collects the middle generation, every 1,000th the oldest (what was
# not frozen at start-up: a few tens of milliseconds, still after a response)
MIDDLE_EVERY = 10
OLDEST_EVERY = 1000

_served = 0


def post_request(worker, req, environ, resp):
    """Called by the sync worker after the response is written and closed."""
    global _served
    _served += 1
    if _served % OLDEST_EVERY == 0:
        gc.collect(2)
    elif _served % MIDDLE_EVERY == 0:
        gc.collect(1)
    else:
        gc.collect(0)
