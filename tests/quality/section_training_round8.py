"""Draw the eighth round of hand-labelled section TRAINING candidates: cue-less 科教 and 社会
headlines (issue 13; seeded, reproducible, reads no model and no evaluation label).

    /tmp/venv/bin/python -m tests.quality.section_training_round8 --draw > /tmp/round8.jsonl

After seven rounds the held-out misses are still 科教 and 社会 on headlines without a weak-label
cue (the blind set's cue-less 科教 titles score 0.25): the cues (`WEAK_TITLE_CUES`) teach the
cue words, and rounds 3–6 held 36, 29, 18 and 4 科教 items. This round looks where such
headlines are: cue-less titles (no section's cue, as rounds 3–6) naming no leader, meeting or
war (`LEADER_TITLE`) that hold a word of the field *in the title* — words the cues lack
(SCIENCE_TITLE_WORDS: 研究, 芯片, 火箭, 课堂, 高考 …; SOCIETY_TITLE_WORDS: 医院, 患者, 法院,
诈骗, 儿童, 物业 …) — and a few more whose title has none but whose lead has one
(`lead:科教`, `lead:社会`); then `title2:科教`, titles with further science and school words
(SCIENCE_MORE_WORDS), appended after the first 189 items were labelled had given only 26 科教
items (no model had run on them; the items before are unchanged). The filter picks where to
look, not the label: every item is labelled by hand by the written conventions (docs/quality.md),
so a 研究 headline about the economy is 经济 and a leader's letter to a school 时政 — by one
labeller (the engineer of the eighth round; no second opinion), from id, title and lead, with the
stratum in view, before any model was trained on or run over them.

Kept apart from every hand-labelled set — the evaluation set (tuning and held-out), the fresh and
blind held-out sets, the first training set and rounds 3–6 — by id, normalised title and shingles
(`KeptApart`), and inside itself by the same tests. 新闻联播 and 人民日报 alternate (one seeded
shuffle each); the 新闻联播 items left when 人民日报 runs out follow.
`tests/fixtures/sections_train_round8.jsonl` keeps the drawn items in this order with the
section given by hand and the stratum as `sample`.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable

from bot.text.section_training import (
    BLIND_SET,
    EVAL_SET,
    FRESH_SET,
    HAND_SET,
    ROUND3_SET,
    ROUND4_SET,
    ROUND5_SET,
    ROUND6_SET,
    cued_sections,
    normal_title,
    read_jsonl,
)
from tests.quality.section_training_set import (
    MIN_TITLE_CHARS,
    DistinctDraw,
    KeptApart,
    alternate_sources,
    corpus_items,
)
from tests.quality.sections_blind_set import SCIENCE_CORE_WORDS, SOCIETY_WORDS
from tests.quality.sections_fresh_set import LEADER_TITLE

SEED = 8181
TITLE_COUNT = 100
LEAD_COUNT = 20
# Science and school words a title can hold without a 科教 cue (the cues already cover 科技,
# 科研, 教育, 学校, 高校, 大学, 学生, 教师, 科学, 院士, 实验室, 卫星, 人工智能, 航天).
SCIENCE_TITLE_WORDS = re.compile(
    r"研究|研究院|研究所|探测|芯片|算力|量子|火箭|空间站|月球|火星|天文|望远镜|北斗|深海|极地|"
    r"基因|机器人|大模型|算法|课堂|课程|招生|高考|中考|考试|校园|中小学|幼儿园|学前|职业|职校|"
    r"师生|老师|学子|少年|青少年|论文|学术|学科|博士|硕士|毕业生|留学|创新大赛|发明"
)
# Daily life and public-service words a title can hold without a 社会 cue (the cues already
# cover 医疗, 医保, 养老, 就业, 社区, 民生, 健康, 疫情, 公安, 志愿, 救助, 残疾人, 环境, 生态, 垃圾).
SOCIETY_TITLE_WORDS = re.compile(
    r"医院|医生|医务|护士|患者|病人|药品|疾病|诊疗|卫生|就医|看病|法院|检察|警方|民警|派出所|"
    r"诈骗|犯罪|审判|司法|法律援助|消费者|维权|慈善|公益|儿童|妇女|老人|老年|困难群众|低保|社保|"
    r"工资|农民工|食品安全|污染|植树|雷锋|见义勇为|劳模|工匠|物业|电梯|小区|居民|饮水|供暖|婚姻|"
    r"托育|家政|春运|退役军人|献血|器官捐献|安置|失业|保障房|棚改|禁毒|扫黑"
)
# More science and school words, for a stratum appended after the first 189 items were labelled
# had given 26 科教 items (the first stratum's pool had only 49 titles).
SCIENCE_MORE_WORDS = re.compile(
    r"天问|梦舟|揽月|长征|运载|发射|太空|航天员|超导|核聚变|中微子|天眼|科考|南极|北极|化石|"
    r"新物种|医学|数学|物理|化学|校长|学位|教材|思政课|研学|育人|双减|开学|毕业|技能人才|"
    r"工程师|科普|新材料|量子|遥感|气象卫星|科创|技术突破|首台|首次"
)
MORE_COUNT = 60  # the pool had 30
APART_FROM = (EVAL_SET, FRESH_SET, BLIND_SET, HAND_SET,
              ROUND3_SET, ROUND4_SET, ROUND5_SET, ROUND6_SET)


def in_title(pattern: re.Pattern[str]) -> Callable[[dict], bool]:
    return lambda item: bool(pattern.search(item["title"]))


def in_lead_only(pattern: re.Pattern[str]) -> Callable[[dict], bool]:
    return lambda item: bool(pattern.search(item["lead"])) and not pattern.search(item["title"])


def draw() -> list[dict]:
    """The candidates in order: {id, title, lead, sample}."""
    kept_apart = KeptApart(row for path in APART_FROM for row in read_jsonl(path))
    pool = [item for item in corpus_items()
            if item["lead"] and len(normal_title(item["title"])) >= MIN_TITLE_CHARS
            and not cued_sections(item["title"]) and not LEADER_TITLE.search(item["title"])
            and kept_apart.admits(item)]
    pool = alternate_sources(pool, SEED, keep_rest=True)
    drawn = DistinctDraw()
    drawn.take_first(pool, TITLE_COUNT, "title:科教", in_title(SCIENCE_TITLE_WORDS))
    drawn.take_first(pool, TITLE_COUNT, "title:社会", in_title(SOCIETY_TITLE_WORDS))
    drawn.take_first(pool, LEAD_COUNT, "lead:科教", in_lead_only(SCIENCE_CORE_WORDS))
    drawn.take_first(pool, LEAD_COUNT, "lead:社会", in_lead_only(SOCIETY_WORDS))
    drawn.take_first(pool, MORE_COUNT, "title2:科教", in_title(SCIENCE_MORE_WORDS))
    return drawn.items


def main(argv: list[str]) -> int:
    if "--draw" not in argv:
        print(__doc__)
        return 2
    for item in draw():
        print(json.dumps(item, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
