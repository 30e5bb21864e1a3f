"""Generated exports — every encoding, date style, carrier spelling, waybill case and padding,
status word, with or without exp_ship_time — give the same violations, money and rejects
through `lanshou check` and through `import orders` + the database's evaluation.

Facts are dated no later than `now` here: judging facts from after `now` is the rule
evaluation's concern (issue 14, "Correct as of --now") and has its own tests.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lanshou.adapters.db.engine import make_engine, session_factory
from lanshou.imports import GENERIC_HEADER
from tests.integration.imports.test_check_agrees import by_check, by_database, write_csv, write_xlsx

CST = timezone(timedelta(hours=8))
BASE = datetime(2026, 3, 2, 9, tzinfo=CST)
CARRIERS = ["顺丰", "SF", "sf", "shunfeng", "顺丰速运", "中通", "ZTO", "zhongtong"]
STATUSES = [
    "",
    "paid",
    "PAID",
    "已支付",
    "待发货",
    "cancelled",
    "Canceled",
    "已取消",
    "交易关闭",
    "refunded_before_shipping",
    "teleported",  # a reject on both paths
]
AMOUNTS = ["2.50", "9.99", "50.00", "300.00", "600.00", "3001.00"]
# (strftime pattern, --date-order, zone written in): the forms exports and spreadsheet round
# trips write, every offset form included.
WEST = timezone(timedelta(hours=-5))
STYLES = {
    "iso": ("%Y-%m-%d %H:%M:%S", None, CST),
    "iso-t-offset": ("%Y-%m-%dT%H:%M:%S+08:00", None, CST),
    "offset-compact": ("%Y-%m-%d %H:%M:%S%z", None, CST),
    "offset-space": ("%Y-%m-%d %H:%M:%S +08:00", None, CST),
    "offset-hours": ("%Y-%m-%dT%H:%M:%S+08", None, CST),
    "offset-west": ("%Y-%m-%d %H:%M:%S-05", None, WEST),
    "zulu": ("%Y-%m-%dT%H:%M:%SZ", None, UTC),
    "twelve-hour": ("%Y-%m-%d %I:%M %p", None, CST),
    "slash": ("%Y/%m/%d %H:%M", None, CST),
    "cjk": ("%Y年%m月%d日 %H:%M", None, CST),
    "mdy": ("%m/%d/%Y %H:%M", "mdy", CST),
    "dmy": ("%d/%m/%Y %H:%M", "dmy", CST),
}
HEADER = list(GENERIC_HEADER)


@st.composite
def exports(draw: st.DrawFn) -> dict[str, object]:
    minutes = st.integers(0, 80 * 60)
    orders = []
    for i in range(draw(st.integers(1, 6))):
        paid = BASE + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
        shipped = paid + timedelta(minutes=draw(minutes)) if draw(st.booleans()) else None
        pickup = None
        if shipped is not None and draw(st.booleans()):
            pickup = shipped + timedelta(minutes=draw(minutes))
        exp = paid + timedelta(hours=draw(st.integers(1, 60))) if draw(st.booleans()) else None
        waybill = draw(st.sampled_from([f"wb{i}x", f"WB{i}X", f" wb{i}X  "]))
        orders.append(
            {
                "id": f"P{i}",
                "shop": draw(st.sampled_from(["s1", "店铺二"])),
                "paid": paid,
                "shipped": shipped,
                "pickup": pickup,
                "exp": exp,
                "amount": draw(st.sampled_from(AMOUNTS)),
                "quantity": draw(st.sampled_from(["", "1", "3"])),
                "status": draw(st.sampled_from(STATUSES)),
                "carrier": draw(st.sampled_from(CARRIERS)) if shipped else "",
                "scan_carrier": draw(st.sampled_from(CARRIERS)),
                "waybill": waybill if shipped else "",
                "scan_waybill": waybill.strip().swapcase() if draw(st.booleans()) else waybill,
                "province": draw(st.sampled_from(["", "浙江省", "新疆维吾尔自治区"])),
            }
        )
    # A file whose every row is refused has nothing to check: check says so and exits 2.
    assume(any(o["status"] != "teleported" for o in orders))
    facts = [t for o in orders for t in (o["paid"], o["shipped"], o["pickup"], o["exp"]) if t]
    return {
        "orders": orders,
        "style": draw(st.sampled_from(sorted(STYLES))),
        "form": draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "xlsx"])),
        "exp_column": draw(st.booleans()),
        "now": max(facts) + timedelta(hours=draw(st.integers(0, 120))),
    }


def _files(tmp: Path, export: dict[str, object]) -> tuple[Path, Path, str | None]:
    pattern, date_order, zone = STYLES[str(export["style"])]
    if export["form"] == "xlsx":
        # A spreadsheet keeps times as date cells (write_xlsx makes them from this form).
        pattern, date_order, zone = "%Y-%m-%d %H:%M", None, CST
    exp_column = bool(export["exp_column"])

    def when(t: datetime | None) -> str:
        return t.astimezone(zone).strftime(pattern) if t is not None else ""

    header = HEADER + (["exp_ship_time"] if exp_column else [])
    rows = [header]
    scans = ["carrier,waybill,time,status,location,description"]
    for o in export["orders"]:  # type: ignore[attr-defined]
        row = [o["id"], o["shop"], when(o["paid"]), o["amount"], o["quantity"], o["province"]]
        row += [o["status"], when(o["shipped"]), o["carrier"], o["waybill"]]
        rows.append(row + ([when(o["exp"])] if exp_column else []))
        if o["pickup"] is not None:
            scans.append(
                f"{o['scan_carrier']},{o['scan_waybill'].strip()},"
                f"{o['pickup']:%Y-%m-%d %H:%M:%S},picked_up,,"
            )
    if export["form"] == "xlsx":
        orders = write_xlsx(tmp / "orders.xlsx", rows)
    else:
        orders = write_csv(tmp / "orders.csv", rows, str(export["form"]))
    tracking = tmp / "scans.csv"
    tracking.write_text("\n".join(scans) + "\n", "utf-8")
    return orders, tracking, date_order


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(export=exports())
def test_check_and_the_database_agree_on_any_export(
    _sqlite_template: Path, export: dict[str, object]
) -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        orders, tracking, date_order = _files(tmp, export)
        now = export["now"]
        assert isinstance(now, datetime)
        shutil.copy(_sqlite_template, tmp / "lanshou.db")
        engine = make_engine(f"sqlite:///{tmp / 'lanshou.db'}")
        try:
            stored, summary = by_database(
                session_factory(engine),
                orders,
                tracking=tracking,
                now=now,
                date_order=date_order,
            )
        finally:
            engine.dispose()
        checked, data = by_check(orders, tracking=tracking, now=now, date_order=date_order)

    assert checked == stored
    # CSV is read by DuckDB with the reader's rules in SQL, a workbook by the Python reader.
    how = "python" if export["form"] == "xlsx" else "sql"
    assert data["read_by"] == {orders.name: how, "scans.csv": "sql"}
    assert len(data["rejected"]) == summary.rejected
    teleported = sum(1 for o in export["orders"] if o["status"] == "teleported")  # type: ignore[attr-defined]
    assert summary.rejected == teleported
