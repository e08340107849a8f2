"""`make bench`: run every benchmarks/bench_*.py (or those named on the command line)."""

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def main(names: list[str]) -> int:
    modules = names or sorted(p.stem for p in HERE.glob("bench_*.py"))
    for name in modules:
        print(f"== {name}", flush=True)
        importlib.import_module(f"benchmarks.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
