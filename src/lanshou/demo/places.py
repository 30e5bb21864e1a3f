"""Where demo buyers live, how long parcels travel there, and the names people carry.

Transit hours are typical line-haul times from the eastern origin cities (杭州, 广州, 苏州) to the
destination's hub; remote regions (新疆, 西藏, 青海, 内蒙古 …) take days longer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Destination:
    province: str
    cities: tuple[str, ...]
    weight: float  # share of buyers
    transit_hours: float  # origin hub → destination hub, typical


DESTINATIONS = (
    Destination("广东", ("广州", "深圳", "东莞", "佛山"), 11.0, 30),
    Destination("浙江", ("杭州", "宁波", "温州", "金华"), 7.0, 20),
    Destination("江苏", ("南京", "苏州", "无锡", "常州"), 7.5, 20),
    Destination("上海", ("上海",), 5.0, 18),
    Destination("北京", ("北京",), 4.5, 36),
    Destination("山东", ("济南", "青岛", "烟台", "临沂"), 6.5, 32),
    Destination("河南", ("郑州", "洛阳", "南阳"), 5.5, 34),
    Destination("四川", ("成都", "绵阳", "南充"), 5.5, 48),
    Destination("湖北", ("武汉", "宜昌", "襄阳"), 4.0, 32),
    Destination("湖南", ("长沙", "株洲", "衡阳"), 4.0, 32),
    Destination("福建", ("福州", "厦门", "泉州"), 4.0, 28),
    Destination("安徽", ("合肥", "芜湖", "阜阳"), 4.0, 24),
    Destination("河北", ("石家庄", "保定", "唐山"), 4.0, 38),
    Destination("陕西", ("西安", "咸阳", "宝鸡"), 3.0, 44),
    Destination("重庆", ("重庆",), 2.5, 46),
    Destination("天津", ("天津",), 2.0, 36),
    Destination("辽宁", ("沈阳", "大连", "鞍山"), 3.0, 50),
    Destination("江西", ("南昌", "赣州", "九江"), 3.0, 28),
    Destination("广西", ("南宁", "柳州", "桂林"), 3.0, 40),
    Destination("云南", ("昆明", "大理", "曲靖"), 2.5, 60),
    Destination("贵州", ("贵阳", "遵义"), 2.0, 52),
    Destination("山西", ("太原", "大同"), 2.0, 44),
    Destination("黑龙江", ("哈尔滨", "大庆", "齐齐哈尔"), 2.0, 66),
    Destination("吉林", ("长春", "吉林"), 1.5, 60),
    Destination("海南", ("海口", "三亚"), 1.0, 56),
    Destination("甘肃", ("兰州", "天水"), 1.2, 66),
    Destination("宁夏", ("银川",), 0.5, 70),
    Destination("内蒙古", ("呼和浩特", "包头", "鄂尔多斯"), 1.2, 80),
    Destination("青海", ("西宁", "格尔木"), 0.6, 96),
    Destination("新疆", ("乌鲁木齐", "喀什", "伊宁"), 1.2, 120),
    Destination("西藏", ("拉萨", "日喀则"), 0.5, 144),
)

# Same-province parcels skip the long haul.
SAME_PROVINCE_TRANSIT_HOURS = 12.0

SURNAMES = (
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "高",
    "林",
    "罗",
)
GIVEN_NAMES = (
    "建国",
    "伟",
    "强",
    "磊",
    "军",
    "勇",
    "杰",
    "涛",
    "明",
    "超",
    "海波",
    "志强",
    "春生",
    "小龙",
    "文华",
    "德胜",
    "国庆",
    "红军",
    "金平",
    "晓东",
)
MOBILE_PREFIXES = (
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "158",
    "159",
    "176",
    "177",
    "180",
    "181",
    "186",
    "187",
    "188",
    "189",
)

# Buyers pay mostly in the evening (local time); weights per hour 0..23.
PAYMENT_HOUR_WEIGHTS = (
    2.0,
    1.2,
    0.6,
    0.3,
    0.2,
    0.2,
    0.4,
    0.9,
    1.6,
    2.4,
    3.0,
    3.2,
    3.4,
    3.0,
    2.8,
    2.8,
    3.0,
    3.2,
    3.6,
    4.4,
    5.6,
    6.6,
    6.2,
    4.0,
)
