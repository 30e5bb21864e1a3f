"""Generic and 抖店 exports: encodings, XLSX, dates, idempotence, audit, rejects, interruption."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import (
    AuditEvent,
    Carrier,
    Order,
    OrderItem,
    Platform,
    Shipment,
    Shop,
    TrackingEvent,
)
from lanshou.errors import InvalidInput
from lanshou.imports import GENERIC_HEADER, ImportProgress, import_orders
from lanshou.imports import service as import_service
from lanshou.imports import stream as import_stream
from tests.integration.imports.helpers import CTX, NOW, add_carriers, count

CST = timezone(timedelta(hours=8))
HEADER = ",".join(GENERIC_HEADER)
GENERIC = [
    HEADER,
    "A1,shop-1,2024-01-05 08:03:00,58.90,1,浙江,paid,,,",
    "A2,shop-1,2024/1/6 9:15,300.00,2,广东,shipped,2024-01-06T10:00:00+08:00,顺丰,SF100",
    "A3,shop-2,1704412980,12.5,,北京,,2024-01-05 20:00,Yunda-Ltd,YD300",
]


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def run(sessions: sessionmaker[Session], path: Path, **kw: object) -> import_service.ImportSummary:
    kw.setdefault("source", "generic")
    return import_orders(sessions, path, now=NOW, ctx=CTX, **kw)  # type: ignore[arg-type]


def test_a_generic_file_becomes_orders_with_one_shipment_each(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    add_carriers(sessions)
    summary = run(sessions, write(tmp_path / "orders.csv", GENERIC))

    assert (summary.rows_read, summary.inserted, summary.updated, summary.rejected) == (3, 3, 0, 0)
    assert dict(summary.unknown_carriers) == {"Yunda-Ltd": 1}
    with sessions() as s:
        assert s.execute(select(Platform.code, Platform.profile)).all() == [("douyin", "douyin")]
        assert sorted(s.execute(select(Shop.code)).scalars()) == ["shop-1", "shop-2"]
        orders = {o.external_id: o for o in s.execute(select(Order)).scalars()}
        assert orders["A1"].paid_at == datetime(2024, 1, 5, 8, 3, tzinfo=CST)
        assert orders["A2"].paid_at == datetime(2024, 1, 6, 9, 15, tzinfo=CST)
        assert orders["A3"].paid_at == datetime(2024, 1, 5, 8, 3, tzinfo=CST)  # Unix seconds
        assert [orders[k].amount_fen for k in ("A1", "A2", "A3")] == [5890, 30000, 1250]
        assert (orders["A2"].quantity, orders["A3"].status) == (2, "shipped")
        ships = {sh.key: sh for sh in s.execute(select(Shipment)).scalars()}
        sf = s.execute(select(Carrier.id).where(Carrier.code == "SF")).scalar_one()
        assert (ships["A2"].carrier_id, ships["A2"].waybill_no) == (sf, "SF100")
        assert ships["A2"].status == "awaiting_pickup"
        assert ships["A2"].shipped_at == datetime(2024, 1, 6, 10, 0, tzinfo=CST)
        assert (ships["A3"].carrier_id, ships["A3"].status) == (None, "awaiting_pickup")
        assert ships["A1"].status == "created" and ships["A1"].amount_fen == 5890


def test_a_fresh_database_knows_the_built_in_carriers_by_any_spelling(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """No carrier rows yet (a new install): 顺丰 / 中通快递 / ZTO resolve as the tracking feeds
    resolve them, each built-in carrier's row is added once; only a name nobody knows is
    unknown."""
    lines = [
        HEADER,
        "B1,shop-1,2024-01-05 08:00,10.00,1,浙江,shipped,2024-01-05 10:00,顺丰,SF1",
        "B2,shop-1,2024-01-05 08:00,10.00,1,浙江,shipped,2024-01-05 10:00,中通快递,ZT2",
        "B3,shop-1,2024-01-05 08:00,10.00,1,浙江,shipped,2024-01-05 10:00,ZTO,ZT3",
        "B4,shop-1,2024-01-05 08:00,10.00,1,浙江,shipped,2024-01-05 10:00,Yunda-Ltd,YD4",
    ]
    summary = run(sessions, write(tmp_path / "orders.csv", lines))

    assert dict(summary.unknown_carriers) == {"Yunda-Ltd": 1}
    with sessions() as s:
        codes = {cid: code for cid, code in s.execute(select(Carrier.id, Carrier.code))}
        assert sorted(codes.values()) == ["SF", "ZTO"]
        ships = {sh.key: sh.carrier_id for sh in s.execute(select(Shipment)).scalars()}
        assert {k: codes.get(v) if v else None for k, v in ships.items()} == {
            "B1": "SF",
            "B2": "ZTO",
            "B3": "ZTO",
            "B4": None,
        }


def test_events_that_arrived_before_the_import_join_the_shipment(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    add_carriers(sessions)
    at = datetime(2024, 1, 6, 12, 0, tzinfo=CST)
    with sessions() as s:
        s.add(
            TrackingEvent(
                waybill_no="SF100",
                status="picked_up",
                event_time=at,
                received_at=at,
                source="kuaidi100",
                dedup_key="k1",
            )
        )
        s.commit()
    run(sessions, write(tmp_path / "orders.csv", GENERIC))
    with sessions() as s:
        sh = s.execute(select(Shipment).where(Shipment.key == "A2")).scalar_one()
        assert (sh.status, sh.picked_up_at) == ("picked_up", at)


def test_importing_the_same_file_twice_changes_nothing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = write(tmp_path / "orders.csv", GENERIC)
    run(sessions, path)
    audits = count(sessions, AuditEvent)
    again = run(sessions, path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert count(sessions, AuditEvent) == audits
    assert count(sessions, Order) == 3


def test_a_corrected_file_updates_what_changed_and_audits_each_change(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    add_carriers(sessions)
    run(sessions, write(tmp_path / "orders.csv", GENERIC))
    fixed = [*GENERIC]
    fixed[1] = "A1,shop-1,2024-01-05 08:03:00,59.90,1,浙江,cancelled,,,"
    summary = run(sessions, write(tmp_path / "orders.csv", fixed))

    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 1, 2)
    with sessions() as s:
        a1 = s.execute(select(Order).where(Order.external_id == "A1")).scalar_one()
        assert (a1.amount_fen, a1.status) == (5990, "cancelled")
        rows = (
            s.execute(select(AuditEvent).where(AuditEvent.entity_type == "order")).scalars().all()
        )
        assert [(r.entity_id, r.action, r.actor) for r in rows] == [(a1.id, "updated", "import")]
        assert rows[0].data == {
            "amount_fen": {"old": 5890, "new": 5990},
            "status": {"old": "paid", "new": "cancelled"},
            "shipment[A1].amount_fen": {"old": 5890, "new": 5990},
        }


def test_bad_rows_go_to_the_rejects_file_and_good_rows_are_kept(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = write(
        tmp_path / "orders.csv",
        [
            HEADER,
            "B1,shop-1,2024-01-05 08:03,10.00,,,,,,",
            "B2,shop-1,yesterday,10.00,,,,,,",
            "B3,shop-1,2024-01-05 08:03,-3,,,,,,",
            "B1,shop-1,2024-01-05 08:03,10.00,,,,,,",
            "B4,shop-1,2024-01-05 08:03,10.00,0,,,,,,extra",
        ],
    )
    summary = run(sessions, path)

    rejects = tmp_path / "orders.csv.rejects.csv"
    assert (summary.rows_read, summary.inserted, summary.rejected) == (5, 1, 4)
    assert summary.rejects_files == [rejects]
    # A stable code for scripts, the reason in Chinese (the default) for people.
    assert rejects.read_text(encoding="utf-8-sig").splitlines() == [
        "row_number,column,reason_code,reason," + HEADER,
        "3,paid_at,bad_time,不是有效时间（「yesterday」无法识别为时间）,B2,shop-1,yesterday,10.00,,,,,,",
        "4,amount,bad_amount,「-3」不是有效金额（不能为负数）,B3,shop-1,2024-01-05 08:03,-3,,,,,,",
        "5,order_id,duplicate_order,订单「B1」重复（首次出现在第 2 行）,B1,shop-1,2024-01-05 08:03,"
        "10.00,,,,,,",
        "6,,field_count,这一行有 11 个字段，表头只有 10 个,B4,shop-1,2024-01-05 08:03,10.00,0,,,,,,"
        "extra",
    ]
    assert count(sessions, Order) == 1
    run(sessions, path, locale="en")
    assert rejects.read_text(encoding="utf-8-sig").splitlines()[1:] == [
        "3,paid_at,bad_time,is not a time ('yesterday' is not a time),B2,shop-1,yesterday,"
        "10.00,,,,,,",
        "4,amount,bad_amount,'-3' is not a non-negative amount,B3,shop-1,2024-01-05 08:03,-3,,,,,,",
        "5,order_id,duplicate_order,duplicate order 'B1' (first on row 2),B1,shop-1,"
        "2024-01-05 08:03,10.00,,,,,,",
        '6,,field_count,"the row has 11 fields, the header has 10",B4,shop-1,2024-01-05 08:03,'
        "10.00,0,,,,,,extra",
    ]


def test_a_header_that_does_not_match_says_what_was_expected_and_found(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = write(tmp_path / "orders.csv", ["id,shop_id,paid,amount", "1,s,2024-01-05,1"])
    with pytest.raises(InvalidInput) as err:
        run(sessions, path)
    assert err.value.message == (
        f"{path}: the header does not match: expected the columns order_id, paid_at, amount, "
        "shop_id; missing order_id, paid_at; found id, shop_id, paid, amount"
    )
    assert count(sessions, Order) == 0


def test_binary_garbage_is_refused_clearly(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(InvalidInput, match="not a CSV text file"):
        run(sessions, path)


def test_gbk_and_utf8_bom_files_read_the_same(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    lines = [
        "主订单编号,子订单编号,选购商品,商品单价,商品数量,订单应付金额,支付完成时间,省,市,订单状态,"
        "发货时间,快递公司,快递单号",
        "D1,D1-1,保温杯,30.00,2,75.00,2024/1/5 8:03,浙江省,杭州市,已发货,2024/1/5 18:00,顺丰,SF1",
        "D1,D1-2,杯盖,15.00,1,75.00,2024/1/5 8:03,浙江省,杭州市,已发货,2024/1/5 18:00,顺丰,SF1",
        "D2,D2-1,茶叶,99.00,1,99.00,2024/1/6 9:00,广东省,深圳市,待发货,,,",
    ]
    gbk = run(sessions, write(tmp_path / "gbk.csv", lines, "gbk"), source="douyin", shop="dy-1")
    bom = run(
        sessions, write(tmp_path / "bom.csv", lines, "utf-8-sig"), source="douyin", shop="dy-1"
    )
    assert (gbk.inserted, gbk.rejected) == (2, 0)
    assert (bom.inserted, bom.updated, bom.unchanged) == (0, 0, 2)
    with sessions() as s:
        d1 = s.execute(select(Order).where(Order.external_id == "D1")).scalar_one()
        assert (d1.amount_fen, d1.quantity, d1.status, d1.buyer_city) == (
            7500,
            3,
            "shipped",
            "杭州市",
        )
        items = s.execute(
            select(
                OrderItem.sku, OrderItem.title, OrderItem.unit_price_fen, OrderItem.quantity
            ).order_by(OrderItem.sku)
        ).all()
        assert [tuple(i) for i in items] == [
            ("D1-1", "保温杯", 3000, 2),
            ("D1-2", "杯盖", 1500, 1),
            ("D2-1", "茶叶", 9900, 1),
        ]
        sh = s.execute(select(Shipment).where(Shipment.key == "D1")).scalar_one()
        assert (sh.max_unit_price_fen, sh.waybill_no, sh.status) == (3000, "SF1", "awaiting_pickup")
        d2 = s.execute(select(Order.status).where(Order.external_id == "D2")).scalar_one()
        assert d2 == "paid"


def test_an_xlsx_export_with_native_datetimes_imports(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER.split(","))
    ws.append(["X1", "shop-1", datetime(2024, 1, 5, 8, 3), 58.9, 1, "浙江", "paid"])
    ws.append([12345678901234, "shop-1", "2024-01-05T08:03:00+08:00", 7, 2])
    ws.append([None] * 10)
    wb.save(tmp_path / "orders.xlsx")
    summary = run(sessions, tmp_path / "orders.xlsx")

    assert (summary.rows_read, summary.inserted, summary.rejected) == (2, 2, 0)
    with sessions() as s:
        got = {
            o.external_id: (o.paid_at, o.amount_fen, o.quantity)
            for o in s.execute(select(Order)).scalars()
        }
    t = datetime(2024, 1, 5, 8, 3, tzinfo=CST)
    assert got == {"X1": (t, 5890, 1), "12345678901234": (t, 700, 2)}


def test_a_truncated_xlsx_is_refused_clearly(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER.split(","))
    wb.save(tmp_path / "full.xlsx")
    data = (tmp_path / "full.xlsx").read_bytes()
    (tmp_path / "orders.xlsx").write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidInput, match="not a readable XLSX workbook"):
        run(sessions, tmp_path / "orders.xlsx")


@pytest.mark.parametrize(
    ("dates", "expected_day"),
    [
        (["5/1/2024 8:03", "13/1/2024 8:03"], 5),  # 13 first: day-first
        (["1/5/2024 8:03", "1/13/2024 8:03"], 5),  # 13 second: month-first
    ],
)
def test_the_day_month_order_is_inferred_from_the_column(
    sessions: sessionmaker[Session], tmp_path: Path, dates: list[str], expected_day: int
) -> None:
    rows = [HEADER] + [f"O{i},s,{d},1,,,,,," for i, d in enumerate(dates)]
    run(sessions, write(tmp_path / "orders.csv", rows))
    with sessions() as s:
        first = s.execute(select(Order.paid_at).where(Order.external_id == "O0")).scalar_one()
    assert first == datetime(2024, 1, expected_day, 8, 3, tzinfo=CST)


def test_an_ambiguous_date_column_asks_for_date_order(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = write(
        tmp_path / "orders.csv",
        [HEADER, "O1,s,1/5/2024 8:03,1,,,,,,", "O2,s,2/6/2024 8:03,1,,,,,,"],
    )
    with pytest.raises(InvalidInput) as err:
        run(sessions, path)
    assert "column 'paid_at'" in err.value.message
    assert "--date-order" in err.value.message
    assert count(sessions, Order) == 0

    run(sessions, path, date_order="dmy")
    with sessions() as s:
        paid = s.execute(select(Order.paid_at).where(Order.external_id == "O1")).scalar_one()
    assert paid == datetime(2024, 5, 1, 8, 3, tzinfo=CST)


def test_an_interrupted_import_completes_when_run_again(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_stream, "CHUNK", 2)
    rows = [HEADER] + [f"I{i},s,2024-01-05 08:03,{i}.00,,,,,," for i in range(1, 8)]
    path = write(tmp_path / "orders.csv", rows)

    def crash(p: ImportProgress) -> None:
        if p.phase == "import" and p.chunks_done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(sessions, path, progress=crash)
    assert count(sessions, Order) == 2
    assert count(sessions, Shipment) == 2

    summary = run(sessions, path)
    assert (summary.inserted, summary.unchanged, summary.chunks) == (5, 2, 4)
    assert count(sessions, Order) == 7
    assert count(sessions, Shipment) == 7


def test_an_unknown_profile_is_refused_before_anything_is_created(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput, match="profile 'nosuch'"):
        run(sessions, write(tmp_path / "orders.csv", GENERIC), profile="nosuch")
    assert count(sessions, Platform) == 0


def test_a_profile_names_the_platform_of_new_shops(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    run(sessions, write(tmp_path / "orders.csv", GENERIC), profile="pinduoduo")
    with sessions() as s:
        assert s.execute(select(Platform.code, Platform.profile)).all() == [
            ("pinduoduo", "pinduoduo")
        ]


def _tails(sessions: sessionmaker[Session]) -> dict[str, str | None]:
    with sessions() as s:
        return {
            ext: tail for ext, tail in s.execute(select(Order.external_id, Order.buyer_phone_tail))
        }


def test_a_douyin_export_keeps_only_the_last_four_digits_of_the_masked_phone(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """抖店 masks the phone (138****1234): the tail is kept, a mask that hides the last digits
    is a warning (not a reject), and the number itself is never stored."""
    lines = [
        "主订单编号,子订单编号,选购商品,商品单价,商品数量,订单应付金额,支付完成时间,订单状态,"
        "收件人手机号",
        "D1,D1-1,保温杯,30.00,1,45.00,2024/1/5 8:03,待发货,138****1234",
        "D1,D1-2,杯盖,15.00,1,45.00,2024/1/5 8:03,待发货,138****1234",
        "D2,D2-1,茶叶,99.00,1,99.00,2024/1/6 9:00,待发货,1********35",
        "D3,D3-1,茶叶,99.00,1,99.00,2024/1/6 9:00,待发货,",
    ]
    path = write(tmp_path / "douyin.csv", lines, "gbk")
    summary = run(sessions, path, source="douyin", shop="dy-1")
    assert (summary.inserted, summary.rejected, summary.phones_without_tail) == (3, 0, 1)
    assert summary.lines()[-1] == (
        "注意：1 单的买家手机号末尾不足 4 位数字（被打码或位数不够），已导入但不记手机尾号"
    )
    assert summary.lines("en")[-1] == (
        "warning: 1 order(s) have a buyer phone without 4 trailing digits (masked or short), "
        "kept without a phone tail"
    )
    assert _tails(sessions) == {"D1": "1234", "D2": None, "D3": None}


def test_generic_xlsx_and_mapping_files_fill_the_phone_tail(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append([*HEADER.split(","), "收货人手机号"])
    ws.append(["X1", "shop-1", "2024-01-05 08:03", 10, 1, "", "", "", "", "", 13800138000])
    ws.append(["X2", "shop-1", "2024-01-05 08:03", 10, 1, "", "", "", "", "", "+86 139-0000-0042"])
    wb.save(tmp_path / "orders.xlsx")
    assert run(sessions, tmp_path / "orders.xlsx").inserted == 2

    mapping = tmp_path / "mine.yaml"
    mapping.write_text(
        "source: mine\nplatform: douyin\ncolumns:\n  order_id: 单号\n  paid_at: 付款时间\n"
        "  amount: 金额\n  buyer_phone: 买家电话\n",
        encoding="utf-8",
    )
    mine = write(
        tmp_path / "mine.csv", ["单号,付款时间,金额,买家电话", "M1,2024-01-05 08:03,5,*******1035"]
    )
    assert run(sessions, mine, mapping=mapping, shop="shop-1").inserted == 1
    assert _tails(sessions) == {"X1": "8000", "X2": "0042", "M1": "1035"}

    # A later file without the phone (or with a masked one) keeps the tail already known.
    again = write(tmp_path / "again.csv", [HEADER, "X1,shop-1,2024-01-05 08:03,10,1,,,,,"])
    assert run(sessions, again).unchanged == 1
    assert _tails(sessions)["X1"] == "8000"
    changed = write(
        tmp_path / "changed.csv",
        [f"{HEADER},buyer_phone", "X1,shop-1,2024-01-05 08:03,10,1,,,,,,13700009999"],
    )
    assert run(sessions, changed).updated == 1
    with sessions() as s:
        change = s.execute(
            select(AuditEvent.data).where(AuditEvent.entity_type == "order")
        ).scalar_one()
    assert change == {"buyer_phone_tail": {"old": "8000", "new": "9999"}}
