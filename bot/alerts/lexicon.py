"""The words of Chinese emergency notices the alert detector reads: levels, colours, hazards,
action verbs, and the patterns that bound names, clauses, subjects and places.

Only vocabulary and patterns live here; :mod:`bot.alerts.detector` holds the logic that applies
them, so a new verb or hazard word is a one-line change in this file.
"""

from __future__ import annotations

import re

RESPONSE = "response"
WARNING = "warning"
TYPHOON = "typhoon"

# Response levels: Ⅰ is the most severe. Warning colours in rising severity; a numbered warning
# (海南 issues 台风四级预警) maps level Ⅳ to blue and Ⅰ to red.
LEVEL_BY_WORD: dict[str, str] = {
    "I": "I", "II": "II", "III": "III", "IV": "IV",
    "一": "I", "二": "II", "三": "III", "四": "IV",
    "1": "I", "2": "II", "3": "III", "4": "IV",
}
COLOUR_BY_WORD: dict[str, str] = {"蓝": "blue", "黄": "yellow", "橙": "orange", "红": "red"}
COLOUR_BY_LEVEL: dict[str, str] = {"IV": "blue", "III": "yellow", "II": "orange", "I": "red"}

LEVEL_PATTERN = r"(?:IV|I{1,3}|[一二三四1-4](?=级))"
LEVEL_RE = re.compile(rf"(?P<lvl>{LEVEL_PATTERN})级?")
COLOUR_RE = re.compile(r"(?P<colour>[蓝黄橙红])色")
WARNING_LEVEL_RE = re.compile(rf"(?P<lvl>{LEVEL_PATTERN})级")

# Hazards named in a response's name, in the order they are tried. Any 台 or 风 in a response name
# makes it a typhoon/wind response (防台风, 防汛防台风, 防风, 防台), except thunderstorm gusts and
# storm surges, which are their own hazards.
DISASTER_RELIEF_RE = re.compile(r"救灾")
TYPHOON_RESPONSE_RE = re.compile(r"台|热带气旋|(?<![大])风(?!暴潮)")
RESPONSE_HAZARD_TERMS: tuple[tuple[str, str], ...] = (
    (r"雷雨大风|强对流", "convective"),
    (r"风暴潮", "storm_surge"),
    (r"海浪", "wave"),
    (r"大风", "wind"),
    (r"防汛|防洪|洪水|洪涝|防凌", "flood"),
    (r"暴雨", "rainstorm"),
    (r"暴雪|雪灾", "snowstorm"),
    (r"高温", "heat"),
    (r"抗旱|干旱|旱灾", "drought"),
    (r"地震|抗震", "earthquake"),
    (r"地质灾害|滑坡|崩塌|泥石流", "geologic"),
    (r"山洪", "flash_flood"),
    (r"寒潮|低温|冰冻|雨雪", "cold_wave"),
    (r"森林火|草原火", "wildfire"),
)
# Hazards named in a warning ("暴雨橙色预警", "红色山洪灾害气象预警").
WARNING_HAZARD_TERMS: tuple[tuple[str, str], ...] = (
    (r"台风", TYPHOON),
    (r"暴雨", "rainstorm"),
    (r"暴雪", "snowstorm"),
    (r"寒潮", "cold_wave"),
    (r"风暴潮", "storm_surge"),
    (r"海浪", "wave"),
    (r"大风", "wind"),
    (r"高温", "heat"),
    (r"强对流|雷雨大风|雷电|冰雹", "convective"),
    (r"山洪", "flash_flood"),
    (r"洪水", "flood"),
    (r"地质灾害", "geologic"),
    (r"干旱", "drought"),
    (r"大雾", "fog"),
    (r"霾", "haze"),
    (r"道路结冰", "ice"),
    (r"森林火险|草原火险", "wildfire"),
    (r"沙尘", "sandstorm"),
    (r"低温|霜冻", "cold_wave"),
)
# Words that give a nameless response ("中国红十字会启动二级应急响应") its hazard from context.
CONTEXT_HAZARD_TERMS: tuple[tuple[str, str], ...] = (
    (r"台风|热带气旋|防台", TYPHOON),
    (r"地震|抗震|震区|震中", "earthquake"),
    (r"地质灾害|滑坡|崩塌|泥石流", "geologic"),
    (r"防汛|洪水|洪涝|汛情|防洪", "flood"),
    (r"暴雨|强降雨|降雨|降水", "rainstorm"),
    (r"干旱|旱情|抗旱", "drought"),
    (r"高温", "heat"),
)

# Verbs, longest first within each action so "升级发布" wins over "发布".
ACTION_VERBS: dict[str, str] = {
    "升级发布": "raise", "提升至": "raise", "提升到": "raise", "提升为": "raise",
    "提高至": "raise", "提高到": "raise", "提高为": "raise", "升级为": "raise",
    "上调至": "raise", "上调为": "raise", "升为": "raise", "升至": "raise", "提升": "raise",
    "降级为": "lower", "降低为": "lower", "降低至": "lower", "降低到": "lower",
    "下调为": "lower", "下调至": "lower", "下调到": "lower", "调低至": "lower",
    "调低为": "lower", "降为": "lower", "降至": "lower", "降低": "lower", "下调": "lower",
    "调整为": "adjust", "调整至": "adjust", "调整到": "adjust",
    "继续维持": "maintain", "继续发布": "maintain", "继续执行": "maintain",
    "继续实施": "maintain", "仍维持": "maintain", "维持": "maintain", "继续": "maintain",
    "停止发布": "end", "解除": "end", "终止": "end", "结束": "end", "撤销": "end",
    "取消": "end",
    "启动": "start", "发布": "start", "启用": "start", "进入": "start",
}
VERB_ALTERNATION = "|".join(sorted(ACTION_VERBS, key=len, reverse=True))
# "重庆连续第五天发布高温红色预警" continues a warning already in force.
REPEATED_ISSUE = r"连续(?:第?[0-9一二三四五六七八九十]+天)?发布"
# A verb right before the named response, allowing "针对浙江、福建的" and "国家" in between.
BEFORE_VERB_RE = re.compile(
    rf"(?P<verb>{REPEATED_ISSUE}|{VERB_ALTERNATION})了?"
    r"(?:(?:针对|对)[^,;:。]{1,40}?的?|[^,;:。]{1,16}?的)?(?:国家|全市|全省|全区|全县)?$"
)
# A verb after the named response: "将防汛Ⅲ级应急响应提升为Ⅰ级", "由Ⅲ级提升为Ⅱ级".
CHANGE_VERBS = "|".join(
    sorted((v for v, a in ACTION_VERBS.items() if a in {"raise", "lower", "adjust"}),
        key=len, reverse=True)
)
AFTER_CHANGE_RE = re.compile(
    rf"^(?:状态|级别)?(?:(?:由|从){LEVEL_PATTERN}级?)?(?P<verb>{CHANGE_VERBS})(?P<lvl>{LEVEL_PATTERN})级?"
)
AFTER_WARNING_CHANGE_RE = re.compile(
    rf"^(?:级别)?(?P<verb>{CHANGE_VERBS})(?P<colour>[蓝黄橙红])色"
)
AFTER_END_RE = re.compile(r"^(?:已经|已)?(?:于[^,;:。]{0,16}?)?(?P<verb>终止|解除|结束)")

# A "响应" that is about readiness in general, not a response being declared.
NOT_A_RESPONSE_AFTER_RE = re.compile(
    r"^(?:机制|能力|速度|联动|工作状态|体系|预案|意识|水平|时间|队伍|工作|程序|演练|流程|"
    r"处置|准备|要求|期间|状态下|级别的)"
)
NOT_A_WARNING_AFTER_RE = re.compile(
    r"^(?:信息|机制|工作|能力|服务|平台|系统|小程序|单|响应|发布|体系|监测|预报|范围|区域)"
)
# Where a response or warning name starts, scanning back from its anchor.
NAME_STOP_RE = re.compile(
    rf"[,;:。、的!?()\s]|将|把|{VERB_ALTERNATION}|执行|进入|实施|针对|了|已|于|"
    r"处于|陆续|先后|同时|并"
)
# "台风、强降雨二级防御响应" is one response covering two hazards: a bare hazard word before 、
# stays in the name.
LISTED_HAZARD_RE = re.compile(r"(?:台风|强降雨|暴雨|洪水|防汛|防台风|地质灾害|大风|高温)、$")
NAME_WINDOW = 24

# The clause is not reporting a current action: drills, instructions, conditions, past years.
NOT_CURRENT_RE = re.compile(r"演练|演习|模拟")
INSTRUCTION_RE = re.compile(r"要求|指导|督促|部署|责成|提醒|指示|视情|适时|可能|拟|如遇|一旦|若")
FUTURE_RE = re.compile(r"(?:将|拟|准备|计划|或将|可能|预计|随时|将于[^,;:。]{0,12}?)$")
PAST_RE = re.compile(r"去年|前年|往年|曾经|曾|历史上|以往|当年|那年")
YEAR_RE = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})年")

# Every mention is found from a "响应" or "预警" anchor. NFKC yields 响 or 预 only from those very
# characters (no other code point decomposes to them and neither is a composite; a test checks
# every code point), so text without either cannot state an alert.
ANCHOR_CHARS = ("响", "预")
ANCHORS = ("响应", "预警")

CLAUSE_SPLIT_RE = re.compile(r"[,;:!?。\s]")
SENTENCE_SPLIT_RE = re.compile(r"(?<=[。!?;])|\n")
SENTENCE_ENDS = ("。", "!", "?", ";", "”", ")", ":")
HEADING_MAX_CHARS = 40

# The subject of a clause ends where time, disposal words or the object begin.
SUBJECT_CUT_RE = re.compile(
    r"今天|昨天|今日|昨日|明天|今早|今晨|昨晚|今晚|今年|本月|当天|当日|日前|近日|近期|"
    r"[0-9]+月|[0-9]+日|[0-9]+时|上午|下午|中午|凌晨|早晨|夜间|傍晚|"
    r"将|把|针对|于|已|决定|也|均|全部|陆续|先后|同步|迅速|立即|紧急|及时|分别|再次|正式|"
    r"仍|率先|第一时间|连夜|连续|随即|(?<![应针面])对|(?<=..)在|[(\"“]|" + VERB_ALTERNATION
)
LEADING_NOISE_RE = re.compile(
    r"^(?:此外|另外|与此同时|同时|其中|目前|当前|随后|截至目前|并且|并|还|而|今天起|今起)"
)
LEADING_TIME_RE = re.compile(
    r"^(?:今天|昨天|今日|昨日|今早|今晨|昨晚|今晚|当天|当日|日前|近日|近期|"
    r"[0-9]+月[0-9]+日|[0-9]+日|[0-9]+时(?:[0-9]+分)?|上午|下午|中午|凌晨|早晨|夜间|傍晚|晚上|"
    r"\([^)]{0,12}\)|起|左右|前后)"
)
NOT_A_SUBJECT_START_RE = re.compile(r"^(?:受|随着|为|在|根据|按照|鉴于|经|据|预计|从|自)")
AUTHORITY_HINT_RE = re.compile(
    r"防指|防总|指挥部|办公室|气象台|气象局|水利|委员会|委|部|局|厅|会|政府|中心|集团|"
    r"当地|各地|等地|地市|全省|全市|全区|我区|我市|我县|[省市区县州旗]"
)
MAX_SUBJECT_CHARS = 40
MAX_EARLIER_SUBJECT_CHARS = 20

# Subjects that name no one ("其他区均降级为…", "各地启动…", "有关部门", "相关地区", "当地"): a
# notice does not present them as the issuing authority.
PLACEHOLDER_AUTHORITY_RE = re.compile(
    r"^(?:其他|其它|其余|另外|各|有关|相关|部分|多|一些|个别|当地|沿海|沿江|周边)"
    r"(?:各|个)?(?:地|区|县|市|省|地区|地方|部门|单位|地市|市县|区县|县区|省份|城市|乡镇|镇街|街道)*$"
)

# Home-region words: the paper's own district or city.
HOME_AUTHORITY_RE = re.compile(r"^(?:我|全)?(?:区|市|县)(?!场|域|民|内|外)")
PROVINCES: dict[str, str] = {
    "北京": "北京市", "天津": "天津市", "上海": "上海市", "重庆": "重庆市",
    "河北": "河北省", "山西": "山西省", "辽宁": "辽宁省", "吉林": "吉林省",
    "黑龙江": "黑龙江省", "江苏": "江苏省", "浙江": "浙江省", "安徽": "安徽省",
    "福建": "福建省", "江西": "江西省", "山东": "山东省", "河南": "河南省",
    "湖北": "湖北省", "湖南": "湖南省", "广东": "广东省", "海南": "海南省",
    "四川": "四川省", "贵州": "贵州省", "云南": "云南省", "陕西": "陕西省",
    "甘肃": "甘肃省", "青海": "青海省", "台湾": "台湾省",
    "内蒙古": "内蒙古自治区", "广西": "广西壮族自治区", "西藏": "西藏自治区",
    "宁夏": "宁夏回族自治区", "新疆": "新疆维吾尔自治区",
    "香港": "香港特别行政区", "澳门": "澳门特别行政区",
}
TARGET_RE = re.compile(r"(?:针对|对)(?P<places>[^,;:。]{1,40}?)(?:的|启动|发布|维持)")
PROVINCE_RE = re.compile("|".join(sorted(PROVINCES, key=len, reverse=True)))
CITY_RE = re.compile(r"[\u4e00-\u9fff]{2,4}?[市县]")

# Other names for the same authority, so a headline and its body are recognised as one event.
AUTHORITY_ALIASES: dict[str, str] = {
    "国家防汛抗旱总指挥部": "国家防总",
    "国家防汛抗旱总指挥部办公室": "国家防总办公室",
    "国家防灾减灾救灾委员会": "国家防减救灾委",
    "国家减灾委": "国家防减救灾委",
}

STORM_RE = re.compile(
    r"(?:第(?P<number>[0-9]{1,2}|[一二三四五六七八九十]{1,3})号)?(?P<kind>超强台风|强台风|台风|强热带风暴|热带风暴)?"
    r"[“\"「『](?P<name>[\u4e00-\u9fff]{2,5})[”\"」』]"
)
IMPACT_CAUSE_RE = re.compile(r"受.{0,24}?影响|预计")
IMPACT_EFFECT_RE = re.compile(
    r"将(?:有|出现|迎来|遭受|带来|产生)|风雨|降雨|暴雨|大风|风力|大到暴雨|风暴潮|降水"
)
PLACE_IN_NAME_RE = re.compile(
    r"(?P<place>[\u4e00-\u9fff]{2,10}?)(?=防|抗|洪水|救灾|地震|地质|气象|暴雨|水旱|干旱)"
)
DAY_WORD_RE = re.compile(r"[日天号晨晚夜早月]|昨|今|明|前")



COORDINATION_RE = re.compile(
    r"^(?:、|和|及|以及|与|并)(?:(?:针对|对)[^,;:。]{1,40}?的)?(?:国家)?$"
)
LEVEL_AFTER_NAME_RE = re.compile(rf"^(?:至|为|到)(?P<lvl>{LEVEL_PATTERN})级?")
# "启动防台风应急响应Ⅳ级", "应急响应级别为Ⅲ级": the level written after the name.
LEVEL_TRAILING_RE = re.compile(rf"^(?:级别为?|等级为?)?(?P<lvl>{LEVEL_PATTERN})级")
