"""Static facts of the demo world: platforms, shops, their products, carriers and origin cities.

Carrier service numbers are the carriers' real national hotlines. Shop names and products are
invented but typical of each platform; unit prices are spread so that every compensation tier
(≤ 3 元, 3–300 元, ≥ 300 元, > 3000 元) occurs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlatformSpec:
    code: str
    name: str
    profile: str


@dataclass(frozen=True)
class Product:
    sku: str
    title: str
    price_fen: int
    weight: float


@dataclass(frozen=True)
class ShopSpec:
    code: str
    platform: str
    name: str
    province: str
    city: str
    weight: float  # share of the orders
    carriers: tuple[tuple[str, float], ...]  # carrier preference
    products: tuple[Product, ...]


@dataclass(frozen=True)
class CarrierSpec:
    code: str
    name_zh: str
    name_en: str
    short: str  # as used in outlet names: 中通杭州余杭网点
    aliases: tuple[str, ...]
    service_phone: str
    pickup_median_hours: float  # typical time from marking to the pickup scan


@dataclass(frozen=True)
class CitySpec:
    province: str
    city: str
    code: str
    area_code: str
    districts: tuple[str, ...]


PLATFORMS = (
    PlatformSpec("douyin", "抖音小店", "douyin"),
    PlatformSpec("pinduoduo", "拼多多", "pinduoduo"),
)

CARRIERS = (
    CarrierSpec(
        "SF", "顺丰速运", "SF Express", "顺丰", ("顺丰", "顺丰速运", "SF", "shunfeng"), "95338", 2.0
    ),
    CarrierSpec(
        "ZTO",
        "中通快递",
        "ZTO Express",
        "中通",
        ("中通", "中通快递", "ZTO", "zhongtong"),
        "95311",
        4.5,
    ),
    CarrierSpec(
        "YTO",
        "圆通速递",
        "YTO Express",
        "圆通",
        ("圆通", "圆通速递", "YTO", "yuantong"),
        "95554",
        5.0,
    ),
    CarrierSpec(
        "YUNDA",
        "韵达快递",
        "Yunda Express",
        "韵达",
        ("韵达", "韵达快递", "YUNDA", "yunda"),
        "95546",
        5.5,
    ),
    CarrierSpec(
        "STO",
        "申通快递",
        "STO Express",
        "申通",
        ("申通", "申通快递", "STO", "shentong"),
        "95543",
        6.0,
    ),
    CarrierSpec(
        "JT",
        "极兔速递",
        "J&T Express",
        "极兔",
        ("极兔", "极兔速递", "J&T", "JT", "jtexpress"),
        "956025",
        6.0,
    ),
    CarrierSpec(
        "EMS",
        "邮政EMS",
        "China Post EMS",
        "邮政",
        ("邮政", "EMS", "中国邮政", "邮政EMS", "ems"),
        "11183",
        7.0,
    ),
    CarrierSpec(
        "JD",
        "京东快递",
        "JD Logistics",
        "京东",
        ("京东", "京东快递", "京东物流", "JD", "jd"),
        "950616",
        2.5,
    ),
)

ORIGIN_CITIES = (
    CitySpec("浙江", "杭州", "HZ", "0571", ("余杭", "萧山", "西湖", "滨江")),
    CitySpec("广东", "广州", "GZ", "020", ("白云", "番禺", "天河", "海珠")),
    CitySpec("江苏", "苏州", "SZ", "0512", ("吴中", "工业园区", "相城", "姑苏")),
)

_P = Product

SHOPS = (
    ShopSpec(
        "demo-dy-hemu",
        "douyin",
        "禾木家居生活馆",
        "浙江",
        "杭州",
        0.42,
        (("ZTO", 0.35), ("YTO", 0.25), ("YUNDA", 0.15), ("SF", 0.1), ("JT", 0.1), ("EMS", 0.05)),
        (
            _P("HM-001", "硅胶防滑发圈 5只装", 199, 6),
            _P("HM-002", "免打孔厨房收纳挂钩 10个装", 290, 5),
            _P("HM-003", "北欧风陶瓷马克杯 带盖勺", 2990, 14),
            _P("HM-004", "加厚珊瑚绒浴巾 70×140cm", 5900, 12),
            _P("HM-005", "304不锈钢真空保温杯 500ml", 8900, 10),
            _P("HM-006", "可折叠布艺收纳箱 三件套", 4580, 12),
            _P("HM-007", "记忆棉慢回弹护颈枕", 12900, 8),
            _P("HM-008", "实木简约床头柜", 29900, 4),
            _P("HM-009", "天然乳胶床垫 1.8m", 129900, 2),
            _P("HM-010", "真丝提花床上四件套", 369900, 0.6),
            _P("HM-011", "懒人沙发豆袋 单人", 35900, 3),
            _P("HM-012", "香薰蜡烛礼盒 4杯装", 6800, 8),
        ),
    ),
    ShopSpec(
        "demo-dy-yuewei",
        "douyin",
        "粤味坊食品专营店",
        "广东",
        "广州",
        0.33,
        (("SF", 0.45), ("JD", 0.25), ("ZTO", 0.15), ("YTO", 0.1), ("EMS", 0.05)),
        (
            _P("YW-001", "广式腊肠 500g 农家风味", 3990, 14),
            _P("YW-002", "新会陈皮小青柑普洱 250g", 12800, 8),
            _P("YW-003", "老婆饼 单个散装", 250, 6),
            _P("YW-004", "凤凰单丛乌龙茶 礼盒装", 39800, 3),
            _P("YW-005", "水晶虾饺 速冻 12只装", 3680, 12),
            _P("YW-006", "十年新会陈皮 100g", 16800, 6),
            _P("YW-007", "双皮奶冲饮粉 3包", 1990, 10),
            _P("YW-008", "广州手信礼盒 鸡仔饼杏仁饼", 8800, 8),
            _P("YW-009", "二十年珍藏陈皮 500g", 328800, 0.5),
            _P("YW-010", "港式鸭屎香柠檬茶 6瓶装", 2490, 12),
            _P("YW-011", "潮汕手打牛肉丸 500g", 4990, 10),
            _P("YW-012", "三十年老陈皮 小罐装", 128000, 1),
        ),
    ),
    ShopSpec(
        "demo-pdd-gusu",
        "pinduoduo",
        "姑苏绣坊家纺",
        "江苏",
        "苏州",
        0.25,
        (("JT", 0.3), ("YUNDA", 0.25), ("STO", 0.2), ("ZTO", 0.15), ("YTO", 0.05), ("EMS", 0.05)),
        (
            _P("GS-001", "苏绣真丝手帕 单条", 299, 6),
            _P("GS-002", "纯棉枕套 一对装", 1990, 14),
            _P("GS-003", "水洗棉夏凉被 空调被", 6990, 12),
            _P("GS-004", "桑蚕丝被 10斤 冬被", 59900, 3),
            _P("GS-005", "苏绣双面绣团扇", 15800, 6),
            _P("GS-006", "纯棉加厚毛巾 3条装", 1590, 14),
            _P("GS-007", "手工苏绣装饰挂画 猫", 458000, 0.4),
            _P("GS-008", "真丝遮光眼罩", 2990, 10),
            _P("GS-009", "桑蚕丝睡衣套装 女款", 39900, 3),
            _P("GS-010", "棉麻刺绣桌布", 3990, 8),
            _P("GS-011", "苏绣双面绣摆件 礼品", 238000, 0.8),
        ),
    ),
)
