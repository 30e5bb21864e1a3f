"""The hand-written side of `bench_check.py`, run as its own process importing only DuckDB: the
SQL of a spec file (see `bench_check.hand_spec`), then the JSON `lanshou check --json` writes.

    python bench/check_hand.py SPEC.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text("utf-8"))
    con = duckdb.connect()
    for statement in spec["setup"]:
        con.execute(statement)
    row = con.execute(spec["summary"]).fetchone()
    assert row is not None
    shipments, open_, ship, pickup, compensation, fine, refund = row
    con.execute(spec["violations"])
    con.close()
    summary = {
        "shipments": shipments,
        "evaluated": shipments,
        "violations": {"ship_timeout": ship, "pickup_timeout": pickup},
        "open": open_,
        "compensation_total": compensation,
        "fine_total": fine,
        "auto_refund_total": refund,
    }
    head = {"profile": spec["profile"], "now": spec["now"], "summary": summary}
    text = json.dumps(head, ensure_ascii=False, indent=2)
    body = Path(spec["out"] + ".violations")
    with open(spec["out"], "w", encoding="utf-8") as fh, body.open(encoding="utf-8") as lines:
        fh.write(text.removesuffix("\n}") + ',\n  "violations": [')
        separator = "\n    "
        for line in lines:
            fh.write(separator + line.rstrip("\n"))
            separator = ",\n    "
        fh.write("\n  ],\n" if separator != "\n    " else "],\n")
        fh.write('  "rejected": []\n}\n')
    body.unlink()


if __name__ == "__main__":
    main(sys.argv[1])
