"""`lanshou check` reads files only: it must start without the database side.

SQLAlchemy, the models and the enforcement area cost about a second of CPU to import, which a
merchant pays on every `check`; a lazily imported name re-exported from the wrong module brought
them all back once without any test noticing, hence this one.
"""

import json
import subprocess
import sys
from pathlib import Path

PROGRAM = """
import sys
from lanshou.entrypoints.cli.app import main
try:
    main()
except SystemExit as stop:
    code = stop.code
else:
    code = 0
heavy = sorted(
    name for name in sys.modules
    if name == "sqlalchemy" or name.startswith(("lanshou.adapters.db", "lanshou.enforcement"))
)
print("MODULES", ",".join(heavy), file=sys.stderr)
sys.exit(code)
"""


def test_check_runs_without_importing_the_database_side(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,shop_id,paid_at,amount,quantity,province,status,shipped_at,carrier,waybill\n"
        "A1,s1,2026-11-01 10:00:00,19.90,1,广东,paid,2026-11-02 10:00:00,SF,SF1\n"
        # a phone-less row and a bad amount exercise the warning and reject paths too
        "A2,s1,2026-11-01 10:00:00,abc,1,广东,paid,,,\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            PROGRAM,
            "check",
            "--orders",
            str(orders),
            "--json",
            "--now",
            "2026-11-10T00:00:00+08:00",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["summary"]["shipments"] == 1
    assert len(json.loads(done.stdout)["rejected"]) == 1
    modules = [line for line in done.stderr.splitlines() if line.startswith("MODULES")]
    assert modules == ["MODULES "]
