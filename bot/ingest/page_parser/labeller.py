"""The heart of the parser: give every line of the page its label, reading top to bottom.

A headline group (kicker, title, subtitle: short lines ending no sentence) opens an article when
the typesetting says so for certain — a byline or dateline under it, a blank line or an unindented
line before it in web text, a picture caption and credit after it, a column tag, a document title,
a closing credit before it — or when it has several lines and is no section head of a series.
Otherwise its lines are subheads of the article being read. Everything else is body text.
"""

from __future__ import annotations

import re

from bot.ingest.page_parser import group_model
from bot.ingest.page_parser.assemble import LabelledLine, PageAssembler, clean_byline
from bot.ingest.page_parser.furniture import teaser_title
from bot.ingest.page_parser.headline import head_roles
from bot.ingest.page_parser.lines import layout_signals
from bot.ingest.page_parser.model import ArticleKind, Label, Line, Trace
from bot.ingest.page_parser.patterns import (
    ADVERT_LABEL,
    BOX_LABEL,
    BRIEF_DATELINE,
    BYLINE_LINE,
    BYLINE_MARKED,
    CLOSING_BRACKETS,
    CLOSING_CREDIT,
    COLUMN_TAG,
    COMMAS,
    CREDIT_LINE,
    DOCUMENT_TITLE,
    EXCLAIMED_HEADLINE,
    FORUM_AUTHOR,
    KICKER_DASHES,
    LETTER_SIGNATURE,
    LISTING_LINE,
    MAX_CAPTION_BLOCKS,
    MAX_CAPTION_CHARS,
    MAX_FOOT_LABEL_CHARS,
    MAX_LONG_HEADLINE_CHARS,
    MAX_PACKAGE_KICKER_CHARS,
    MAX_PHOTO_PHRASE_CHARS,
    MAX_SECTION_HEAD_CHARS,
    MIN_SECTION_SERIES,
    NUMBERED_HEAD,
    PACKAGE_LABEL,
    PAGE_REFERENCE,
    PARALLEL_LEAD,
    PHOTO_CREDIT,
    PIECE_LABEL,
    SIGNATURE_DATE,
    SUBTITLE_DASHES,
    TEXT_LABEL,
)
from bot.ingest.page_parser.shapes import (
    ends_sentence,
    is_byline_or_dateline,
    is_heading_like,
    is_long_headline,
    is_speaker_kicker,
    is_standalone_credit,
    is_tagged_title,
    opens_with_a_time,
)


def label_page(lines: list[Line], trace: Trace) -> PageAssembler:
    """Label every line (recorded in ``trace`` by input line) and file it into articles."""
    labeller = _Labeller(lines, trace)
    index = 0
    while index < len(lines):
        index = labeller.step(index)
    return labeller.assembler


def body_label(text: str) -> Label:
    """A body line that credits a picture or signs the piece is a credit, else body text."""
    if is_standalone_credit(text) or CREDIT_LINE.search(text):
        return "credit"
    return "body"


class _Labeller:
    """Reads the lines once; each step labels one line or one headline group."""

    def __init__(self, lines: list[Line], trace: Trace) -> None:
        self.lines = lines
        self.trace = trace
        self.gaps_separate_articles, self.indentation_marks_body = layout_signals(lines)
        self.section_heads = section_head_series(lines)
        self.package_sections = package_section_series(lines)
        # Letters signed "山西阳城县 刘凡渝" in a series are the letters of one column.
        self.letters_column = (
            sum(1 for line in lines if re.match(LETTER_SIGNATURE, line.text)) >= MIN_SECTION_SERIES
        )
        # Without blank-line or indentation cues a learned model weighs the cues of a group.
        self.learned_groups = not (self.gaps_separate_articles or self.indentation_marks_body)
        self.assembler = PageAssembler()
        self.in_teasers = False

    def emit(
        self, index: int, label: Label, text: str | None = None, opens: ArticleKind | None = None
    ) -> None:
        line = self.lines[index]
        self.trace.update(
            {source: label for source in line.sources if self.trace.get(source) is None}
        )
        self.assembler.add(LabelledLine(line.text if text is None else text, label, opens))

    def text_at(self, position: int) -> str:
        return self.lines[position].text if position < len(self.lines) else ""

    def step(self, index: int) -> int:
        """Label the line at ``index`` (and the rest of its headline group); the next index."""
        line = self.lines[index]
        if line.is_teaser_label:
            self.in_teasers = True
            self.emit(index, "dropped")
            self.assembler.close()
            return index + 1
        if ADVERT_LABEL.match(line.text):
            # An advertisement is listed as one article titled "广告", never a teaser.
            self.in_teasers = False
            self.emit(index, "title", opens="article")
            return index + 1
        if self.in_teasers:
            after_teaser = self._teaser_step(index)
            if after_teaser is not None:
                return after_teaser
            self.in_teasers = False
        if PAGE_REFERENCE.match(line.text) and self.assembler.current is not None:
            # A page pointer on its own ("第14版") inside a story points elsewhere: no heading.
            self.emit(index, "dropped")
            return index + 1
        if self._is_indented_subhead(line) or self._is_box_label(line):
            self.emit(index, "subhead")
            return index + 1
        if not self.is_heading(index):
            self.emit(index, body_label(line.text))
            return index + 1
        return self._heading_group(index)

    def _teaser_step(self, index: int) -> int | None:
        """Under a 导读 label: teaser titles and their page pointers, until something else."""
        text = self.lines[index].text
        if PAGE_REFERENCE.match(text):
            self.emit(index, "dropped")
            self.assembler.close()
            return index + 1
        if self._is_teaser(index):
            stripped = teaser_title(self.lines, index)
            title = text if stripped is None else stripped
            self.emit(index, "title", title, opens="teaser")
            return index + 1
        return None

    def _is_teaser(self, index: int) -> bool:
        """A teaser points elsewhere and has no text under it: it carries a page pointer, or
        the headings from it reach a pointer or the end of the page — not body text."""
        text = self.lines[index].text
        stripped = teaser_title(self.lines, index)
        if stripped is not None:
            return is_heading_like(stripped or text)
        if not self.is_heading(index):
            return False
        # Headings up to a page pointer or the end of the page are teasers; headings over body
        # text are an article's headline group, however they sit after the box.
        for position in range(index + 1, len(self.lines)):
            text = self.lines[position].text
            if PAGE_REFERENCE.match(text) or teaser_title(self.lines, position) is not None:
                return True
            if not self.is_heading(position) or SUBTITLE_DASHES.match(text):
                return False
        return True

    def _is_box_label(self, line: Line) -> bool:
        """ "相关链接", "延伸阅读": the label of a box belonging to the article being read."""
        return self.assembler.current is not None and bool(BOX_LABEL.match(line.text))

    def _is_indented_subhead(self, line: Line) -> bool:
        """In web text an indented heading-like line inside an article is a subhead."""
        return (
            self.assembler.current is not None
            and self.indentation_marks_body
            and line.indented
            and is_heading_like(line.text)
            and not is_byline_or_dateline(line.text)
        )

    # --- is this line a headline line? ------------------------------------------------------

    def is_heading(self, position: int) -> bool:
        """Whether the line at ``position`` can be part of a headline group."""
        if self._never_heading(position):
            return False
        text, following = self.lines[position].text, self.text_at(position + 1)
        if is_heading_like(text):
            return True
        if is_speaker_kicker(text) and is_heading_like(following):
            return True
        if is_long_headline(text) and is_byline_or_dateline(following):
            return True
        if is_long_kicker(text) and (
            is_tagged_title(following) or self._title_over_a_dateline(position + 1)
        ):
            return True
        return self._is_exclaimed_headline(position)

    def _title_over_a_dateline(self, position: int) -> bool:
        """A headline line with a byline or dateline right under it: what stands over it and
        ends no sentence is its kicker, however long ("李克强将出席…并对泰国进行正式访问")."""
        return is_heading_like(self.text_at(position)) and is_byline_or_dateline(
            self.text_at(position + 1)
        )

    def _never_heading(self, position: int) -> bool:
        """导读 labels, the piece before a jump line, bylines, indented web lines, signatures."""
        line = self.lines[position]
        if line.is_teaser_label or line.before_jump or is_byline_or_dateline(line.text):
            return True
        if opens_with_a_time(line.text) or TEXT_LABEL.match(line.text):
            # "2018年10月，首届": a paragraph's first piece; "表1 …", "2016年": labels in the text.
            return True
        if (self.indentation_marks_body and line.indented) or self._in_listing(position):
            return True
        # A picture credit alone on a line ("人民视觉", "新华社发") heads nothing.
        return is_standalone_credit(line.text) or is_signature(self.lines, position)

    def _in_listing(self, position: int) -> bool:
        """A programme listing's line ("11.3 13:00 上海国际舞蹈中心") and the entry over one
        ("芭蕾大师公开课（辛丽丽）") list; they head nothing."""
        return bool(
            LISTING_LINE.match(self.lines[position].text)
            or LISTING_LINE.match(self.text_at(position + 1))
        )

    def _is_exclaimed_headline(self, position: int) -> bool:
        """A headline may exclaim ("我爱你，中国！") when a subtitle or byline follows it, or
        ask ("基层落实情况如何？") as a kicker over a tagged title."""
        if not EXCLAIMED_HEADLINE.match(self.lines[position].text):
            return False
        following, after_next = self.text_at(position + 1), self.text_at(position + 2)
        if SUBTITLE_DASHES.match(following) or is_byline_or_dateline(following):
            return True
        return (
            bool(following)
            and is_heading_like(following)
            and bool(COLUMN_TAG.search(following) or is_byline_or_dateline(after_next))
        )

    # --- headline groups ---------------------------------------------------------------------

    def _group_end(self, index: int) -> int:
        """Where the headline group starting at ``index`` ends (its deck included)."""
        end = index + 1
        while end < len(self.lines) and self.is_heading(end):
            if self.gaps_separate_articles and self.lines[end].gap_before:
                break
            if PAGE_REFERENCE.match(self.lines[end].text) or ADVERT_LABEL.match(
                self.lines[end].text
            ):
                break
            if PIECE_LABEL.match(self.lines[index].text):  # "图片报道" heads a piece alone
                break
            end += 1
        return end + 1 if is_deck(self.lines, end) else end

    def _heading_group(self, index: int) -> int:
        """Label a headline group: teasers, subheads, or the head of a new article."""
        end = self._group_end(index)
        group = [entry.text for entry in self.lines[index:end]]
        following = self.lines[end] if end < len(self.lines) else None
        if following is not None and PAGE_REFERENCE.match(following.text):
            for position in range(index, end):
                self.emit(position, "title", opens="teaser")
            self.emit(end, "dropped")
            self.assembler.close()
            return end + 1
        if self._labels_a_box_at_the_foot(end, group) or not self._opens_article(
            index, end, group
        ):
            for position in range(index, end):
                self.emit(position, "subhead")
            return end
        kind: ArticleKind = "photo" if is_photo_caption(self.lines, end) else "article"
        for offset, head in enumerate(head_roles(group)):
            self.emit(index + offset, head.role, head.text, opens=kind if offset == 0 else None)
        if following is not None and (
            BYLINE_LINE.match(following.text) or BYLINE_MARKED.match(following.text)
        ):
            self.emit(end, "byline", clean_byline(following.text))
            return end + 1
        return end

    def _labels_a_box_at_the_foot(self, end: int, group: list[str]) -> bool:
        """A short heading closing the page with no text under it ("律师说法", "数说") labels a
        box of the story above whose content is no text (a chart, a picture); an advertisement
        ("广告"), a notice ("启事") and a picture report ("图片报道") closing the page are
        articles of their own."""
        text = group[0]
        return (
            end >= len(self.lines)
            and len(group) == 1
            and self.assembler.current is not None
            and len(text) <= MAX_FOOT_LABEL_CHARS
            and not (ADVERT_LABEL.match(text) or DOCUMENT_TITLE.search(text))
            and not PIECE_LABEL.match(text)
        )

    def _opens_article(self, index: int, end: int, group: list[str]) -> bool:
        """Whether a headline group opens a new article rather than heading a section."""
        if self.assembler.current is None or end >= len(self.lines):
            return True
        if NUMBERED_HEAD.match(group[0]) or index in self.package_sections:
            # "一、招聘岗位（35人）", "九、蒋巷村": a numbered part of what is being read; "河南
            # 兰考——", "地点：云南普洱": a marked section of the package being read.
            return False
        if self._next_brief_of_a_column(end):
            return False
        if self._strong_opening(index, end, group):
            return True
        by_rule = len(group) > 1 and index not in self.section_heads
        if self.learned_groups:
            return group_model.overrule(by_rule, self._group_context(index, end))
        return by_rule

    def _next_brief_of_a_column(self, end: int) -> bool:
        """Briefs set in a column box ("医学资讯", "财经短波") each have a title and a text
        opening with "本报电" and close with the writer's name: after the first, the next
        brief is one more item of the column, not an article of its own."""
        current = self.assembler.current
        if current is None or not BRIEF_DATELINE.match(self.text_at(end)):
            return False
        opened = [current.byline or "", *current.paragraphs]
        return any(BRIEF_DATELINE.match(text) for text in opened)

    def _group_context(self, index: int, end: int) -> group_model.GroupContext:
        current = self.assembler.current
        assert current is not None
        return group_model.GroupContext(
            lines=self.lines,
            index=index,
            end=end,
            in_section_series=index in self.section_heads,
            photo_follows=is_photo_caption(self.lines, end),
            paragraphs_so_far=len(current.paragraphs),
            article_has_byline=current.byline is not None,
            article_kicker_dashed=current.kicker is not None,
            last_paragraph=self.assembler.last_paragraph,
        )

    def _strong_opening(self, index: int, end: int, group: list[str]) -> bool:
        """Typesetting that opens an article for certain, whatever came before."""
        line, following = self.lines[index], self.lines[end]
        if is_byline_or_dateline(following.text) or self._photo_follows(group, end):
            return True
        if (self.gaps_separate_articles and line.gap_before) or line.after_rule:
            return True
        if index > 0 and self.lines[index - 1].before_jump:
            # The piece before ended at its jump line ("（下转第5版）"): a new one starts here.
            return True
        if self.indentation_marks_body and not line.indented:
            return True
        if any(COLUMN_TAG.search(entry) for entry in group):
            return True
        if DOCUMENT_TITLE.search(group[-1]) and not self._only_a_note_so_far():
            return True
        if PIECE_LABEL.match(group[0]):
            return True
        return self._closed_by_a_credit() or self._only_credits_so_far()

    def _closed_by_a_credit(self) -> bool:
        """The piece being read ended with its closing credit ("（本报记者 某某）"): not a
        picture's credit, and not a letter's signature in a column of letters."""
        last_paragraph = self.assembler.last_paragraph
        if last_paragraph is None or is_standalone_credit(last_paragraph):
            return False
        if self._only_a_note_so_far():
            return False
        if self.letters_column and re.match(LETTER_SIGNATURE, last_paragraph):
            return False
        return bool(CLOSING_CREDIT.search(last_paragraph))

    def _only_credits_so_far(self) -> bool:
        """Nothing has been read but pictures' credits on lines of their own ("新华社发", "陈静
        绘": a picture at the head of the page, its credit extracted first). They head no story:
        the headline under them opens one, or every story of the page would be read as a
        subhead of an article with no title, and the page refused."""
        current = self.assembler.current
        if current is None or current.title or current.kicker or current.byline is not None:
            return False
        paragraphs = current.paragraphs
        return bool(paragraphs) and all(is_standalone_credit(text) for text in paragraphs)

    def _only_a_note_so_far(self) -> bool:
        """The article being read holds nothing yet but a line in brackets under its headline:
        a note on the headline ("（2019年10月26日…会议通过）" under a law's title), which
        closes nothing; the order or document title under it ("中华人民共和国主席令") is part of
        the same article, not a new one."""
        current = self.assembler.current
        if current is None or len(current.paragraphs) != 1 or current.byline is not None:
            return False
        return re.match(CLOSING_BRACKETS, current.paragraphs[0]) is not None

    def _photo_follows(self, group: list[str], end: int) -> bool:
        """A picture's caption and credit follow the group. A picture's title is one phrase or
        two short ones ("秋收，出发"); a lone line with a longer comma clause ("教育兴则国家兴，
        教育") over a caption-like block is the cut first piece of a paragraph, whatever credit
        follows."""
        parts = re.split(r"[，,]", group[0])
        short = all(1 < len(part) <= MAX_PHOTO_PHRASE_CHARS for part in parts)
        if len(group) == 1 and len(parts) > 1 and not short:
            return False
        return is_photo_caption(self.lines, end)


def is_long_kicker(text: str) -> bool:
    """A kicker may run to a sentence or two ("深化增值税改革进展成效如何？记者在河北进行了调查
    采访", "苦氟水让…乡亲吃了多年苦头。…终于——"): a line of at most MAX_LONG_HEADLINE_CHARS
    that ends no sentence, or ends with ——."""
    return (
        len(text) <= MAX_LONG_HEADLINE_CHARS
        and text[-1] not in COMMAS
        and (bool(KICKER_DASHES.search(text)) or not ends_sentence(text))
    )


def is_signature(lines: list[Line], position: int) -> bool:
    """A line signing what precedes it: a "——" line right after body text (a subtitle follows a
    title, an attribution follows a quote), or a name over a date ("习近平" / "2019年10月6日")."""
    text = lines[position].text
    following = lines[position + 1].text if position + 1 < len(lines) else ""
    if re.match(SIGNATURE_DATE, following):
        return True
    if position == 0 or not SUBTITLE_DASHES.match(text):
        return False
    before = lines[position - 1].text
    headline_before = is_heading_like(before) or bool(EXCLAIMED_HEADLINE.match(before))
    return not headline_before and not is_byline_or_dateline(before)


def is_photo_caption(lines: list[Line], index: int) -> bool:
    """What follows a title is a picture's caption: a block ending with its credit, then a
    headline or the end of the page; or a few caption blocks and the credit on a line of its own."""
    if index >= len(lines):
        return False
    if PHOTO_CREDIT.search(lines[index].text):
        return (
            index + 1 >= len(lines)
            or not ends_sentence(lines[index + 1].text)
            or (is_heading_like(lines[index + 1].text))
        )
    caption_chars = 0
    for position in range(index, min(index + MAX_CAPTION_BLOCKS + 1, len(lines))):
        text = lines[position].text
        if position > index and is_standalone_credit(text):
            # A picture stands apart: after its credit comes a headline or the page's end.
            after = lines[position + 1].text if position + 1 < len(lines) else ""
            return not after or is_heading_like(after)
        caption_chars += len(text)
        if (
            caption_chars > MAX_CAPTION_CHARS
            or is_heading_like(text)
            or is_byline_or_dateline(text)
        ):
            return False
    return False


def is_deck(lines: list[Line], index: int) -> bool:
    """A long unpunctuated line between a headline and the dateline under it is the headline's
    deck (提要题: "审议通过《…》；讨论通过《…》"), not a paragraph."""
    if index + 1 >= len(lines) or index == 0:
        return False
    text = lines[index].text
    return (
        not ends_sentence(text)
        and text[-1] not in COMMAS
        and not is_byline_or_dateline(text)
        and is_byline_or_dateline(lines[index + 1].text)
        and is_heading_like(lines[index - 1].text)
    )


def section_head_series(lines: list[Line]) -> set[int]:
    """Positions of section heads inside one feature: short heading lines after body text, not
    followed by a byline, of a shape (length, trailing ——, a trailing colon) that recurs on the
    page."""
    candidates: dict[tuple[int, bool], list[int]] = {}
    for position in range(1, len(lines)):
        shape = _section_head_shape(lines, position)
        if shape is not None:
            candidates.setdefault(shape, []).append(position)
    return {
        position
        for positions in candidates.values()
        if len(positions) >= MIN_SECTION_SERIES
        for position in positions
    }


def _section_head_shape(lines: list[Line], position: int) -> tuple[int, bool] | None:
    """The shape of a candidate section head at ``position``, or None when it can be none."""
    text, before = lines[position].text, lines[position - 1].text
    speaker = is_speaker_kicker(text)
    if not (is_heading_like(text) or speaker) or is_heading_like(before):
        return None
    if is_byline_or_dateline(text):
        return None
    if CLOSING_CREDIT.search(before) or not ends_sentence(before):
        return None
    following = lines[position + 1].text if position + 1 < len(lines) else ""
    after_group = lines[position + 2].text if position + 2 < len(lines) else ""
    if is_byline_or_dateline(following) or is_byline_or_dateline(after_group):
        return None
    core = KICKER_DASHES.sub("", text)
    parallel = PARALLEL_LEAD.match(core)
    if parallel:
        # Parallel heads ("得天时，…" / "拥地利，…" / "享人和，…") share the length of their lead.
        return (-len(parallel.group(1)), False)
    if len(core) > MAX_SECTION_HEAD_CHARS:
        return None
    # Speaker kickers ("北京大学：", "山西：") form one series whatever their length.
    return (0, True) if speaker else (len(re.sub(r"\s", "", core)), core != text)


def package_section_series(lines: list[Line]) -> set[int]:
    """Positions of the marked heads of a package's sections: a short kicker ending with ——
    ("河南兰考——") or a label ("地点：云南普洱") over a title, or a title over its author
    ("（法国）让—弗朗索瓦·唐泽尔"), after body text, in the same mark at least
    MIN_SECTION_SERIES times on the page."""
    marks: dict[str, list[int]] = {}
    for position in range(1, len(lines) - 1):
        text = lines[position].text
        if not is_heading_like(text) or is_heading_like(lines[position - 1].text):
            continue
        if not is_heading_like(lines[position + 1].text):
            continue
        label = PACKAGE_LABEL.match(text)
        if FORUM_AUTHOR.match(lines[position + 1].text):
            marks.setdefault("author", []).append(position)
        elif label:
            marks.setdefault(label.group(1), []).append(position)
        elif KICKER_DASHES.search(text) and len(text) <= MAX_PACKAGE_KICKER_CHARS:
            marks.setdefault("——", []).append(position)
    return {
        position
        for positions in marks.values()
        if len(positions) >= MIN_SECTION_SERIES
        for position in positions
    }
