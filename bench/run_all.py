"""Run every `bench/bench_*.py` and rewrite docs/benchmarks.md with the machine and results.

    .venv/bin/python bench/run_all.py            # default sizes
    .venv/bin/python bench/run_all.py --quick    # smaller sizes, a few minutes
    .venv/bin/python bench/run_all.py --full     # also the 10 M sweep database (slow to build)
    .venv/bin/python bench/run_all.py --only sweep --no-write

Each module exposes `run(quick: bool) -> list[Result]` (and may accept `full`).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Result, log, machine

DOC = ROOT / "docs" / "benchmarks.md"

INTRO = """# Benchmarks

Measured numbers, rewritten by `make bench` (`.venv/bin/python bench/run_all.py`). The
benchmarks live in `bench/` and never run in the test suite. Every figure below is one run on
the machine described here (the event path: the median of three), and timings on this shared
2-core box vary by ±10–20 % between identical runs.
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smaller sizes")
    p.add_argument("--full", action="store_true", help="largest sizes (10 M sweep database)")
    p.add_argument("--only", action="append", default=[], help="run only bench_<name>.py")
    p.add_argument("--no-write", action="store_true", help="print, do not rewrite the doc")
    args = p.parse_args(argv)
    names = sorted(f.stem for f in Path(__file__).resolve().parent.glob("bench_*.py"))
    if args.only:
        names = [n for n in names if n.removeprefix("bench_") in args.only or n in args.only]
    results: list[Result] = []
    started = time.time()
    for name in names:
        log(f"== {name}")
        mod = importlib.import_module(name)
        kwargs = {"quick": args.quick}
        if "full" in inspect.signature(mod.run).parameters:
            kwargs["full"] = args.full
        results.extend(mod.run(**kwargs))
    mode = "--quick" if args.quick else ("--full" if args.full else "default sizes")
    out = [
        INTRO,
        "## Machine",
        "",
        *machine(),
        f"- Mode: {mode}; total wall time {(time.time() - started) / 60:.1f} min",
        "",
    ]
    for r in results:
        out += [f"## {r.title}", "", "```", r.command, "```", "", *r.lines, ""]
    text = "\n".join(out).rstrip() + "\n"
    if args.no_write:
        print(text)
    else:
        DOC.write_text(text, encoding="utf-8")
        log(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
