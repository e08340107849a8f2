"""Stop `make test` at once, with a way out, when PostgreSQL or Redis cannot be reached."""

import os
import socket
import sys
from urllib.parse import urlparse

HOW = (
    "Start them, for example:\n"
    "  docker compose up -d db redis\n"
    "or on Debian:\n"
    "  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
    "  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ''\n"
    "or point DATABASE_URL / REDIS_URL at running servers."
)


def reachable(url: str, default_port: int) -> bool:
    parts = urlparse(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), timeout=3
        ):
            return True
    except OSError:
        return False


def main() -> int:
    db = os.environ.get("DATABASE_URL", "")
    redis = os.environ.get("REDIS_URL", "")
    missing = []
    if not db.startswith(("postgres://", "postgresql://")):
        missing.append(f"DATABASE_URL must point to PostgreSQL (got {db!r})")
    elif not reachable(db, 5432):
        missing.append(f"PostgreSQL is not reachable at {db}")
    if not redis.startswith("redis://"):
        missing.append(f"REDIS_URL must point to Redis (got {redis!r})")
    elif not reachable(redis, 6379):
        missing.append(f"Redis is not reachable at {redis}")
    if missing:
        print("make test needs real PostgreSQL and Redis:", *missing, sep="\n  ", file=sys.stderr)
        print(HOW, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
