"""`lanshou check` and `import orders` + the database's evaluation read real exports alike and
give the same violations and money: each case of issue 14's list, through both paths.

The database path is the real one: ``import_orders`` (evaluating as it writes), then the scans
through ``import tracking``'s service, then the ledger. The check path is ``check_command``
with the reader the CLI builds. Both run at the same ``now``.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Exemption, LedgerEntry, Order, Violation
from lanshou.batch import ReadResult
from lanshou.batch.cli import check_command
from lanshou.domain.rules.profile import Profile
from lanshou.enforcement.exemption_file import load_exemptions_file
from lanshou.enforcement.receipts import receipt_totals
from lanshou.enforcement.rules_context import RulesContext
from lanshou.imports import GENERIC_HEADER, ImportSummary, import_orders, import_tracking
from lanshou.imports.shipments_table import export_reader
from tests.integration.imports.olist_files import write_spreadsheet_round_trip

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 3, 10, tzinfo=CST)

HEADER = [*GENERIC_HEADER, "exp_ship_time"]
# G1: 顺丰 on the order, SF on the scan, a padded lower-case waybill: picked up in time.
# G2: waybill wblc1 on both sides, picked up a day late: 3.00 compensation + 10.00 fine.
# G3: exp_ship_time is binding (3/3 10:00): shipped late; unit price 300.00 pays 1 % = 3.00.
# G4, G5: cancelled in the words exports use: not judged. G6: an unknown status: a reject.
# G7: paid a day before now: its ship deadline is still open.
ROWS = [
    row.split("|")
    for row in (
        "G1|店铺一|2026-03-02 10:00|50.00|1|浙江省|已支付|2026-03-03 09:00|顺丰|  sf123 |",
        "G2|店铺一|2026-03-02 10:00|50.00|1|浙江省|paid|2026-03-03 09:00|SF|wblc1|",
        "G3|店铺一|2026-03-02 10:00|600.00|2|广东省||2026-03-05 12:00|shunfeng|W3|2026-03-03 10:00",
        "G4|店铺一|2026-03-02 10:00|20.00|1||已取消||||",
        "G5|店铺一|2026-03-02 10:00|20.00|1||交易关闭||||",
        "G6|店铺一|2026-03-02 10:00|20.00|1||teleported||||",
        "G7|店铺一|2026-03-09 10:00|20.00|1||||||",
    )
]
SCANS = (
    "carrier,waybill,time,status,location,description\n"
    "SF,SF123,2026-03-03 20:00:00,picked_up,杭州,\n"
    "顺丰速运,wblc1,2026-03-05 10:00:00,picked_up,,\n"
    "shunfeng,W3,2026-03-05 13:00:00,picked_up,,\n"
)
# (order, rule, exempt, compensation, fine) of the file above at NOW.
EXPECTED = [
    ("G2", "pickup_timeout", False, "3.00", "10.00"),
    ("G3", "ship_timeout", False, "3.00", "10.00"),
]

Verdicts = list[tuple[str, str, bool, str, str]]


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def write_csv(path: Path, rows: list[list[str]], encoding: str) -> Path:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    """As a spreadsheet program saves it: times as real date cells, numbers as numbers."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(rows[0])
    for row in rows[1:]:
        cells: list[object] = []
        for name, value in zip(rows[0], row, strict=True):
            if value and name in ("paid_at", "shipped_at", "exp_ship_time"):
                cells.append(datetime.strptime(value, "%Y-%m-%d %H:%M"))  # noqa: DTZ007 - naive cell
            elif value and name in ("amount", "quantity"):
                cells.append(float(value))
            else:
                cells.append(value or None)
        ws.append(cells)
    wb.save(path)
    return path


def by_check(
    orders: Path,
    *,
    profile: str = "douyin",
    rules_dirs: tuple[Path, ...] = (),
    exemptions: Path | None = None,
    now: datetime = NOW,
    **reader: object,
) -> tuple[Verdicts, dict[str, object]]:
    out, err = io.StringIO(), io.StringIO()
    read = export_reader(reader.pop("source", "generic"), orders, **reader)  # type: ignore[arg-type]
    read_by: dict[str, str] = {}

    def recorded(con: duckdb.DuckDBPyConnection, rules: Profile) -> ReadResult:
        """The CLI's reader, noting which reader read each file (DuckDB's or Python's)."""
        result = read(con, rules)
        read_by.update({Path(f).name: how for f, how in result.read_by.items()})
        return result

    rc = check_command(
        profile,
        recorded,
        now,
        True,
        "en",
        out,
        err,
        rules_dirs=rules_dirs,
        exemptions=lambda: load_exemptions_file(exemptions) if exemptions else [],
    )
    assert rc == 0, err.getvalue()
    data = json.loads(out.getvalue())
    data["read_by"] = read_by
    verdicts = sorted(
        (v["order_id"], v["rule"], v["exempt"], v["compensation"], v["fine"])
        for v in data["violations"]
    )
    return verdicts, data


def by_database(
    sessions: sessionmaker[Session],
    orders: Path,
    *,
    tracking: Path | None = None,
    ctx: RulesContext | None = None,
    now: datetime = NOW,
    **options: object,
) -> tuple[Verdicts, ImportSummary]:
    ctx = ctx or RulesContext()
    options.setdefault("source", "generic")
    summary = import_orders(sessions, orders, now=now, ctx=ctx, **options)  # type: ignore[arg-type]
    if tracking is not None:
        import_tracking(sessions, tracking, tz=ZoneInfo("Asia/Shanghai"), now=now, judge=ctx)
    with sessions() as s:
        money = {
            (vid, kind): int(fen)
            for vid, kind, fen in s.execute(
                select(
                    LedgerEntry.violation_id, LedgerEntry.kind, func.sum(LedgerEntry.amount_fen)
                ).group_by(LedgerEntry.violation_id, LedgerEntry.kind)
            )
        }
        rows = s.execute(
            select(Violation.id, Order.external_id, Violation.rule_id, Violation.state)
            .join(Order, Order.id == Violation.order_id)
            .where(Violation.state.not_in(("reversed", "withdrawn")))
        ).all()
    verdicts = sorted(
        (
            external_id,
            rule,
            state == "exempt",
            _yuan(money.get((vid, "compensation"), 0)),
            _yuan(money.get((vid, "fine"), 0)),
        )
        for vid, external_id, rule, state in rows
    )
    return verdicts, summary


@pytest.mark.parametrize("form", ["utf-8", "utf-8-sig", "gb18030", "xlsx"])
def test_one_export_in_every_encoding_gives_one_verdict_on_both_paths(
    sessions: sessionmaker[Session], tmp_path: Path, form: str
) -> None:
    rows = [HEADER, *ROWS]
    if form == "xlsx":
        orders = write_xlsx(tmp_path / "orders.xlsx", rows)
    else:
        orders = write_csv(tmp_path / "orders.csv", rows, form)
    tracking = tmp_path / "scans.csv"
    tracking.write_text(SCANS, encoding="utf-8")

    checked, data = by_check(orders, tracking=tracking)
    stored, summary = by_database(sessions, orders, tracking=tracking)

    assert checked == stored == EXPECTED
    how = "python" if form == "xlsx" else "sql"
    assert data["read_by"] == {orders.name: how, "scans.csv": "sql"}
    assert data["summary"] == {
        "shipments": 6,
        "evaluated": 4,
        "violations": {"ship_timeout": 1, "pickup_timeout": 1},
        "open": 1,
        "compensation_total": "6.00",
        "fine_total": "20.00",
        "auto_refund_total": "0.00",
    }
    reason = "status: 'teleported' is not an order status the generic mapping knows"
    assert [(r["row"], r["reason"].split(" (")[0]) for r in data["rejected"]] == [(7, reason)]
    assert (summary.inserted, summary.rejected) == (6, 1)


def test_the_waybill_of_an_order_meets_its_own_scan_in_the_database(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """wblc1 is stored as WBLC1, like the scan's waybill: no "without a shipment yet"."""
    orders = write_csv(tmp_path / "orders.csv", [HEADER, ROWS[1]], "utf-8")
    tracking = tmp_path / "scans.csv"
    tracking.write_text(SCANS, encoding="utf-8")
    by_database(sessions, orders)
    result = import_tracking(
        sessions, tracking, tz=ZoneInfo("Asia/Shanghai"), now=NOW, judge=RulesContext()
    )
    with sessions() as s:
        totals = receipt_totals(s, result.receipt_ids)
    assert (totals.stored, totals.unmatched) == (3, 2)  # SF123 and W3: no order


def test_a_douyin_export_in_gbk_agrees(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    lines = [
        "主订单编号,子订单编号,选购商品,商品单价,商品数量,订单应付金额,支付完成时间,省,市,订单状态,"
        "发货时间,快递公司,快递单号,预计发货时间",
        "D1,D1-1,保温杯,30.00,2,75.00,2026/3/2 8:03,浙江省,杭州市,已发货,2026/3/5 18:00,顺丰,"
        "sf1,2026/3/4 8:03",
        "D1,D1-2,杯盖,15.00,1,75.00,2026/3/2 8:03,浙江省,杭州市,已发货,2026/3/5 18:00,顺丰,"
        "sf1,2026/3/4 8:03",
        "D2,D2-1,茶叶,399.00,1,399.00,2026/3/2 9:00,广东省,深圳市,待发货,,,,",
        "D3,D3-1,茶叶,9.00,1,9.00,2026/3/2 9:00,广东省,深圳市,交易关闭,,,,",
    ]
    orders = tmp_path / "douyin.csv"
    orders.write_bytes(("\n".join(lines) + "\n").encode("gbk"))

    checked, data = by_check(orders, source="douyin", shop="dy-1")
    stored, _ = by_database(sessions, orders, source="douyin", shop="dy-1")

    # D1 shipped after its exp_ship_time (unit price 30.00 → 3.00) and never picked up (another
    # 3.00); D2 never shipped (399.00 → 1 % = 3.99). 10.00 fines each.
    assert checked == stored
    assert checked == [
        ("D1", "pickup_timeout", False, "3.00", "10.00"),
        ("D1", "ship_timeout", False, "3.00", "10.00"),
        ("D2", "ship_timeout", False, "3.99", "10.00"),
    ]
    assert data["summary"]["evaluated"] == 2
    assert data["read_by"] == {"douyin.csv": "python"}  # rows of one order merge: Python's


def test_the_olist_files_after_a_spreadsheet_round_trip_agree(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _orders, items = write_spreadsheet_round_trip(tmp_path, 400)
    now = datetime(2026, 1, 1, tzinfo=ZoneInfo("America/Sao_Paulo"))
    files = {"source": "olist", "items": tmp_path / "items.csv"}

    checked, data = by_check(tmp_path / "orders.csv", profile="olist", now=now, **files)
    stored, summary = by_database(sessions, tmp_path / "orders.csv", now=now, **files)

    pairs = {(r[0], r[3]) for r in items[1:]}
    assert checked == stored
    assert data["summary"]["shipments"] == summary.inserted == len(pairs)
    assert data["rejected"] == []
    assert len(checked) > 0 and {v[1:] for v in checked} == {
        ("pickup_timeout", False, "0.00", "0.00")
    }


def test_an_operators_profile_and_declared_events_apply_on_both_paths(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """LANSHOU_RULES_DIR's douyin.yaml with a 10 h pickup window books G1 (picked up 11 h after
    shipping); a declared event over 广东 exempts G3's late shipment."""
    builtin = (Path(__file__).parents[3] / "src/lanshou/rules/douyin.yaml").read_text("utf-8")
    rules = tmp_path / "rules"
    rules.mkdir()
    custom = builtin.replace(
        "start: shipped_at\n    duration: {hours: 24, unit: calendar_hours}",
        "start: shipped_at\n    duration: {hours: 10, unit: calendar_hours}",
    )
    assert custom != builtin
    (rules / "douyin.yaml").write_text(custom, "utf-8")
    events = tmp_path / "events.yaml"
    events.write_text(
        "- starts_at: 2026-03-02T00:00:00+08:00\n"
        "  ends_at: 2026-03-06T00:00:00+08:00\n"
        "  reason: 台风\n"
        "  provinces: [广东]\n",
        "utf-8",
    )
    orders = write_csv(tmp_path / "orders.csv", [HEADER, *ROWS], "utf-8")
    tracking = tmp_path / "scans.csv"
    tracking.write_text(SCANS, encoding="utf-8")
    with sessions() as s:
        for e in load_exemptions_file(events):
            s.add(
                Exemption(
                    kind="event",
                    provinces=sorted(e.provinces or ()),
                    carrier_codes=[],
                    starts_at=e.valid_from,
                    ends_at=e.valid_to,
                    effect=e.mode,
                    reason=e.reason,
                    status="approved",
                    created_at=NOW,
                )
            )
        s.commit()

    checked, _ = by_check(orders, tracking=tracking, rules_dirs=(rules,), exemptions=events)
    stored, _ = by_database(
        sessions, orders, tracking=tracking, ctx=RulesContext(rules_dirs=(rules,))
    )

    assert checked == stored
    assert checked == [
        ("G1", "pickup_timeout", False, "3.00", "10.00"),
        ("G2", "pickup_timeout", False, "3.00", "10.00"),
        ("G3", "ship_timeout", True, "0.00", "0.00"),
    ]


def test_a_users_mapping_reads_the_same_on_both_paths(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """A shop's own layout (Chinese headers, its own status words, day-first dates) through
    ``--mapping``, ``--shop`` and ``--date-order``."""
    mapping = tmp_path / "mine.yaml"
    mapping.write_text(
        "source: mine\nplatform: douyin\n"
        "columns: {order_id: 订单号, paid_at: 付款时间, amount: 实付, shipped_at: 发货时间, "
        "carrier: 快递, waybill: 运单号, status: 状态}\n"
        "status_values: {作废: cancelled, 正常: paid}\n",
        "utf-8",
    )
    orders = write_csv(
        tmp_path / "mine.csv",
        [
            ["订单号", "付款时间", "实付", "发货时间", "快递", "运单号", "状态"],
            ["M1", "02/03/2026 10:00", "50.00", "03/03/2026 09:00", "顺丰速运", "m1", "正常"],
            ["M2", "02/03/2026 10:00", "50.00", "", "", "", "作废"],
            ["M3", "02/03/2026 10:00", "350.00", "05/03/2026 09:00", "zto", "m3", "正常"],
        ],
        "gb18030",
    )
    options = {"mapping": mapping, "shop": "我的店", "date_order": "dmy"}

    checked, data = by_check(orders, **options)
    stored, _ = by_database(sessions, orders, **options)
    assert data["read_by"] == {"mine.csv": "sql"}

    # M1 is never picked up (3.00 + 10.00); M3 shipped late (350.00 → 1 % = 3.50) and is never
    # picked up either.
    assert (
        checked
        == stored
        == [
            ("M1", "pickup_timeout", False, "3.00", "10.00"),
            ("M3", "pickup_timeout", False, "3.50", "10.00"),
            ("M3", "ship_timeout", False, "3.50", "10.00"),
        ]
    )
