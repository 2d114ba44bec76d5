"""Documents as a few kinds of blocks, typeset twice: an editable DOCX and a PDF for printing.

The letters and the one-page plan (:mod:`optimizer.documents`) are written once as a
:class:`Document` (title, headings, paragraphs, tables, lists); :func:`to_docx` and :func:`to_pdf`
turn the same blocks into the two formats, so the two files always say the same thing.

* DOCX: python-docx. Chinese text is tagged ``zh-CN`` and set in SimSun / SimHei (宋体 / 黑体), the
  fonts WPS and Word have; LibreOffice substitutes a Chinese font it has (Noto CJK SC on Debian).
* PDF: fpdf2, embedding a subset of Noto Serif CJK SC (letters) or Noto Sans CJK SC (the plan)
  from Debian's ``fonts-noto-cjk``, so the file prints the same on a machine with no Chinese font.
  fpdf2 breaks a line only at spaces, which splits Chinese text anywhere (inside ``¥1,260.67``
  too), so lines are broken here: between Chinese characters or at spaces, never inside a number,
  and never with closing punctuation at the start of a line (禁则).
"""

from __future__ import annotations

import functools
import io
import itertools
import re
import shutil
import string
import subprocess
import tempfile
from pathlib import Path
from typing import Literal, NamedTuple, Sequence

from .errors import FontMissing

Face = Literal["serif", "sans"]


class Heading(NamedTuple):
    text: str


class Paragraph(NamedTuple):
    text: str
    align: Literal["left", "center", "right"] = "left"
    indent: bool = False  # first line indented two characters (Chinese letter style)
    small: bool = False
    keep_with_next: bool = False  # on the same page as the next paragraph (a letter's closing lines)


class Table(NamedTuple):
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # relative column widths
    align: str = ""  # one of L / R / C per column; default: first column L, the rest R
    bold_last_row: bool = False


class Bullets(NamedTuple):
    items: tuple[str, ...]
    numbered: bool = False


Block = Heading | Paragraph | Table | Bullets


class Document(NamedTuple):
    title: str
    blocks: tuple[Block, ...]
    lang: Literal["zh", "en"] = "zh"
    face: Face = "serif"  # letters in a Song (serif) face, the plan in a Hei (sans) face
    compact: bool = False  # the one-page plan: smaller type and spacing
    footer: str = ""  # small print at the foot of every PDF page, before the page number


# ---- fonts ---------------------------------------------------------------------------------------

# Debian / Ubuntu (fonts-noto-cjk), Fedora (google-noto-*-cjk-fonts), Arch (noto-fonts-cjk).
FONT_DIRS = (
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/google-noto-cjk"),
    Path("/usr/share/fonts/google-noto-serif-cjk-fonts"),
    Path("/usr/share/fonts/google-noto-sans-cjk-fonts"),
    Path("/usr/share/fonts/noto-cjk"),
)
FONT_FILES = {
    ("serif", False): "NotoSerifCJK-Regular.ttc",
    ("serif", True): "NotoSerifCJK-Bold.ttc",
    ("sans", False): "NotoSansCJK-Regular.ttc",
    ("sans", True): "NotoSansCJK-Bold.ttc",
}
INSTALL_HINT = "apt-get install fonts-noto-cjk"


class FontFile(NamedTuple):
    path: Path
    index: int  # the Simplified Chinese face inside the collection


@functools.lru_cache(maxsize=None)
def cjk_font(face: Face, bold: bool, dirs: tuple[Path, ...] = FONT_DIRS, fontconfig: bool = True) -> FontFile:
    """The Noto CJK SC file for ``face``: the known folders first, then fontconfig's list."""
    name = FONT_FILES[face, bold]
    candidates = [folder / name for folder in dirs]
    fc_list = shutil.which("fc-list") if fontconfig else None
    if fc_list:
        family = f"Noto {'Serif' if face == 'serif' else 'Sans'} CJK SC:style={'Bold' if bold else 'Regular'}"
        done = subprocess.run([fc_list, "--format", "%{file}\n", family], capture_output=True, text=True, check=False)
        candidates += [Path(line) for line in done.stdout.splitlines() if line.endswith(name)]
    for path in candidates:
        if path.is_file():
            return FontFile(path, _sc_index(path))
    raise FontMissing(name, INSTALL_HINT)


def _sc_index(path: Path) -> int:
    """Which font of the collection is the Simplified Chinese one (not the Mono variant)."""
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(path), lazy=True)
    try:
        for k, font in enumerate(collection.fonts):
            family = font["name"].getDebugName(1) or ""
            if family.endswith("CJK SC") and "Mono" not in family:
                return k
    finally:
        collection.close()
    raise FontMissing(path.name, f"{INSTALL_HINT} (this file has no Simplified Chinese face)")


# ---- line breaking (PDF) -------------------------------------------------------------------------

_WIDE = "\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_SPACE = " \t\u3000"  # where a line may break; a no-break space (U+00A0) is not one of them
_TOKEN = re.compile(rf"[{_SPACE}]+|[^{_SPACE}{_WIDE}]+|.")
# Never at the start of a line / never at its end (a light 禁则 set).
_NO_START = set("，。、；：！？）》」』】〕”’…—%,.;:!?)]}")
_NO_END = set("（《「『【〔“‘([{")
JOIN = "\u2060"  # WORD JOINER: no line break here (removed from the output)


def keep(text: str) -> str:
    """``text`` kept on one line (a checkbox and its label, a short phrase)."""
    return JOIN.join(text.replace(" ", "\u00a0"))


def _is_space(unit: str) -> bool:
    return not unit.strip(_SPACE)


def _units(text: str) -> list[str]:
    """Pieces a line may break between: one Chinese character, or a run without spaces
    (``¥1,260.67``, ``2026-12``, ``Negotiation``), or spaces; punctuation sticks to its neighbour,
    and so do pieces joined by :data:`JOIN`."""
    units: list[str] = []
    glue_next = False
    for token in _TOKEN.findall(text):
        glued = glue_next or token[0] in _NO_START or token.startswith(JOIN)
        if units and not _is_space(token) and glued:
            units[-1] += token
        else:
            units.append(token)
        glue_next = not _is_space(token) and (token[-1] in _NO_END or token.endswith(JOIN))
    return units


def wrap(text: str, width: float, measure, first_width: float | None = None) -> list[str]:
    """Lines of ``text`` no wider than ``width`` (the first no wider than ``first_width``)."""
    lines: list[str] = []

    def limit() -> float:
        return first_width if first_width is not None and not lines else width

    def fits(candidate: str) -> bool:
        return measure(candidate.replace(JOIN, "")) <= limit()

    for para in text.split("\n"):
        line = ""
        for unit in _units(para):
            if _is_space(unit) and not line:
                continue
            if not line or fits((line + unit).rstrip(_SPACE)):
                line += unit
                continue
            lines.append(line.rstrip(_SPACE))
            line = "" if _is_space(unit) else unit
        while line and not fits(line):
            # One piece longer than a line (a long number or address): break it by characters.
            k = len(line)
            while k > 1 and not fits(line[:k]):
                k -= 1
            lines.append(line[:k])
            line = line[k:]
        lines.append(line.rstrip(_SPACE))
    return [line.replace(JOIN, "") for line in lines]


# ---- PDF -----------------------------------------------------------------------------------------


def to_pdf(doc: Document) -> bytes:
    """The document as an A4 PDF with the CJK font subset embedded."""
    return to_pdfs([doc])[0]


def to_pdfs(docs: Sequence[Document]) -> list[bytes]:
    """Several documents as PDFs. The CJK fonts are large (20 MB each), so each face is cut down
    once to the characters all the documents use, and every PDF embeds a subset of that."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    chars: dict[Face, set[str]] = {}
    for doc in docs:
        chars.setdefault(doc.face, set(string.printable + "第页，共•—*")).update(_text_of(doc))
    with tempfile.TemporaryDirectory(prefix="debtplan-fonts-") as tmp:
        cut: dict[tuple[Face, bool], FontFile] = {}
        for face, used in chars.items():
            for bold in (False, True):
                source = cjk_font(face, bold)
                font = TTFont(str(source.path), fontNumber=source.index, lazy=True)
                options = subset.Options()
                options.name_IDs = ["*"]
                options.notdef_outline = True
                options.layout_features = []  # fpdf2 places glyphs itself; no shaping tables needed
                cutter = subset.Subsetter(options)
                cutter.populate(text="".join(sorted(used)))
                cutter.subset(font)
                path = Path(tmp) / f"{face}-{'bold' if bold else 'regular'}.otf"
                font.save(str(path))
                font.close()
                cut[face, bold] = FontFile(path, 0)
        return [_render_pdf(doc, cut[doc.face, False], cut[doc.face, True]) for doc in docs]


def _text_of(doc: Document) -> str:
    parts = [doc.title, doc.footer]
    for block in doc.blocks:
        if isinstance(block, (Heading, Paragraph)):
            parts.append(block.text)
        elif isinstance(block, Bullets):
            parts.extend(block.items)
        elif isinstance(block, Table):
            parts.extend(block.header)
            parts.extend(cell for row in block.rows for cell in row)
    return "".join(parts)


def _render_pdf(doc: Document, regular: FontFile, bold: FontFile) -> bytes:
    from fpdf import FPDF

    size = 8.5 if doc.compact else 10.5  # 10.5 pt: 五号, the size of Chinese letters and forms
    leading = 1.45 if doc.compact else 1.7
    margin = 15.0 if doc.compact else 22.0

    class _Pdf(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("cjk", "", 7.5)
            self.set_text_color(110)
            page = f"第{self.page_no()}页，共{{nb}}页" if doc.lang == "zh" else f"page {self.page_no()} of {{nb}}"
            self.cell(0, 5, f"{doc.footer}    {page}" if doc.footer else page, align="C")
            self.set_text_color(0)

    pdf = _Pdf(format="A4", unit="mm")
    pdf.set_margins(margin, margin - 3, margin)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_font("cjk", "", str(regular.path), collection_font_number=regular.index)
    pdf.add_font("cjk", "B", str(bold.path), collection_font_number=bold.index)
    pdf.set_title(doc.title)
    pdf.set_lang("zh-CN" if doc.lang == "zh" else "en")
    pdf.set_creator("debtplan")
    pdf.add_page()
    body_width = pdf.epw

    def line_height(pt: float) -> float:
        return pt * 0.3528 * leading

    def text_lines(lines: list[str], pt: float, align: str = "L", first_indent: float = 0.0) -> None:
        h = line_height(pt)
        for k, line in enumerate(lines):
            if pdf.will_page_break(h):
                pdf.add_page()
            pdf.set_x(pdf.l_margin + (first_indent if k == 0 else 0.0))
            pdf.cell(body_width - (first_indent if k == 0 else 0.0), h, line, align=align,
                     new_x="LMARGIN", new_y="NEXT")

    pdf.set_font("cjk", "B", 13 if doc.compact else 16)
    text_lines(wrap(doc.title, body_width, pdf.get_string_width), 13 if doc.compact else 16, "C")
    pdf.ln(1.5 if doc.compact else 4)
    gap = 0.6 if doc.compact else 1.2  # after a paragraph

    def paragraph_pt(block: Paragraph) -> float:
        return size - (1.0 if block.small else 0.0)

    def paragraph_lines(block: Paragraph) -> list[str]:
        pdf.set_font("cjk", "", paragraph_pt(block))
        indent = 2 * pdf.get_string_width("中") if block.indent else 0.0
        return wrap(block.text, body_width, pdf.get_string_width, body_width - indent)

    def chain_height(start: int) -> float:
        """Height of the paragraphs from ``start`` kept together (up to the first not kept)."""
        chain = list(itertools.takewhile(lambda b: isinstance(b, Paragraph), doc.blocks[start:]))
        chain = chain[:next((j + 1 for j, b in enumerate(chain) if not b.keep_with_next), len(chain))]
        return sum(len(paragraph_lines(b)) * line_height(paragraph_pt(b)) + gap for b in chain)

    kept = False  # the previous paragraph was kept with this one
    for k, block in enumerate(doc.blocks):
        if not isinstance(block, Paragraph):
            kept = False
        if isinstance(block, Heading):
            pt = size + (1.0 if doc.compact else 0.5)
            pdf.ln(1.2 if doc.compact else 2.5)
            pdf.set_font("cjk", "B", pt)
            follows = doc.blocks[k + 1] if k + 1 < len(doc.blocks) else None
            after = chain_height(k + 1) if isinstance(follows, Paragraph) and follows.keep_with_next else 2 * line_height(size)
            if pdf.will_page_break(line_height(pt) + after):  # a heading stays with what follows it
                pdf.add_page()
            pdf.set_font("cjk", "B", pt)
            text_lines(wrap(block.text, body_width, pdf.get_string_width), pt)
        elif isinstance(block, Paragraph):
            if block.keep_with_next and not kept and pdf.will_page_break(chain_height(k)):
                pdf.add_page()  # the paragraphs kept together move to a new page as a whole
            kept = block.keep_with_next
            pt = paragraph_pt(block)
            indent = 2 * pdf.get_string_width("中") if block.indent else 0.0
            text_lines(paragraph_lines(block), pt, {"left": "L", "center": "C", "right": "R"}[block.align], indent)
            pdf.ln(gap)
        elif isinstance(block, Bullets):
            pdf.set_font("cjk", "", size)
            for k, item in enumerate(block.items, 1):
                mark = f"{k}." if block.numbered else "•"
                hang = pdf.get_string_width("00. " if block.numbered else "• ")
                lines = wrap(item, body_width - hang, pdf.get_string_width)
                h = line_height(size)
                for j, line in enumerate(lines):
                    if pdf.will_page_break(h):
                        pdf.add_page()
                    if j == 0:
                        pdf.cell(hang, h, mark)
                    else:
                        pdf.set_x(pdf.l_margin + hang)
                    pdf.cell(body_width - hang, h, line, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(0.6 if doc.compact else 1.2)
        elif isinstance(block, Table):
            _pdf_table(pdf, block, size - (1.5 if doc.compact else 1.0), body_width)
            pdf.ln(1.0 if doc.compact else 2.0)
    return bytes(pdf.output())


def _pdf_table(pdf, table: Table, pt: float, width: float) -> None:
    total = sum(table.widths)
    widths = [width * w / total for w in table.widths]
    aligns = table.align or "L" + "R" * (len(widths) - 1)
    pad = 1.0
    h = pt * 0.3528 * 1.35

    def row(cells: Sequence[str], bold: bool, fill: bool) -> None:
        pdf.set_font("cjk", "B" if bold else "", pt)
        wrapped = [wrap(c, w - 2 * pad, pdf.get_string_width) for c, w in zip(cells, widths)]
        height = max(len(lines) for lines in wrapped) * h + 2 * pad
        if pdf.will_page_break(height):
            pdf.add_page()
            if not bold or not fill:
                row(table.header, True, True)
                pdf.set_font("cjk", "B" if bold else "", pt)
        x, y = pdf.l_margin, pdf.get_y()
        for lines, w, align in zip(wrapped, widths, aligns):
            if fill:
                pdf.set_fill_color(232, 232, 232)
            pdf.rect(x, y, w, height, style="DF" if fill else "D")
            for k, line in enumerate(lines):
                pdf.set_xy(x + pad, y + pad + k * h)
                pdf.cell(w - 2 * pad, h, line, align=align)
            x += w
        pdf.set_xy(pdf.l_margin, y + height)

    pdf.set_draw_color(150)
    pdf.set_line_width(0.2)
    row(table.header, True, True)
    for k, cells in enumerate(table.rows):
        row(cells, table.bold_last_row and k == len(table.rows) - 1, False)
    pdf.set_draw_color(0)


# ---- DOCX ----------------------------------------------------------------------------------------

_DOCX_FONTS = {"serif": ("Times New Roman", "SimSun"), "sans": ("Arial", "SimHei")}


def _kept_tail(blocks: Sequence[Block], k: int) -> tuple[Paragraph, ...]:
    """If ``blocks[k]`` is a short paragraph that follows a kept one (a letter's closing lines),
    it and the short paragraphs kept with it; else nothing."""
    if k == 0 or not _is_kept_line(blocks[k]) or not (isinstance(blocks[k - 1], Paragraph) and blocks[k - 1].keep_with_next):
        return ()
    tail = []
    j = k
    while blocks[j].keep_with_next and j + 1 < len(blocks) and _is_kept_line(blocks[j + 1]):
        tail.append(blocks[j + 1])
        j += 1
    return tuple(tail)


def _is_kept_line(block: Block) -> bool:
    return isinstance(block, Paragraph) and "\n" not in block.text and len(block.text) <= 60


def to_docx(doc: Document) -> bytes:
    """The document as an editable A4 DOCX (Word, WPS, LibreOffice)."""
    import docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    latin, east_asia = _DOCX_FONTS[doc.face]
    size = 9.0 if doc.compact else 10.5
    out = docx.Document()
    section = out.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    margin = Mm(15 if doc.compact else 22)
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = margin
    props = out.core_properties
    props.title, props.author, props.last_modified_by, props.comments = doc.title, "", "", ""
    props.language = "zh-CN" if doc.lang == "zh" else "en"

    def set_fonts(owner, bold: bool | None = None, pt: float | None = None, east: str = east_asia) -> None:
        """Latin and East Asian font, size, weight and language of a style or a run."""
        font = owner.font
        font.name = latin
        if pt is not None:
            font.size = Pt(pt)
        if bold is not None:
            font.bold = bold
        r_pr = owner._element.get_or_add_rPr()
        r_pr.get_or_add_rFonts().set(qn("w:eastAsia"), east)
        lang = r_pr.find(qn("w:lang"))
        if lang is None:
            lang = r_pr.makeelement(qn("w:lang"), {})
            r_pr.append(lang)
        lang.set(qn("w:eastAsia"), "zh-CN")
        lang.set(qn("w:val"), "en-US")  # Latin text (figures, dates) follows Latin line breaking

    # python-docx's template defaults East Asian text to Japanese (themeFontLang ja-JP), which
    # makes LibreOffice pick Japanese glyph forms; the whole document is Simplified Chinese.
    defaults = out.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    defaults.find(qn("w:rFonts")).set(qn("w:eastAsia"), east_asia)
    defaults.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")
    out.settings.element.find(qn("w:themeFontLang")).set(qn("w:eastAsia"), "zh-CN")
    normal = out.styles["Normal"]
    set_fonts(normal, pt=size)
    normal.paragraph_format.space_after = Pt(2 if doc.compact else 4)
    normal.paragraph_format.line_spacing = 1.1 if doc.compact else 1.3
    for name in ("List Bullet", "List Number"):
        set_fonts(out.styles[name], pt=size)

    title = out.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_fonts(title.add_run(doc.title), bold=True, pt=14 if doc.compact else 18, east="SimHei")
    align = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT}
    text_width = section.page_width - section.left_margin - section.right_margin
    blocks = list(doc.blocks)
    k = 0
    while k < len(blocks):
        block = blocks[k]
        k += 1
        tail = _kept_tail(blocks, k - 1)
        if tail:
            # A letter's closing (此致, 敬礼, signature, date) kept with the paragraph before it: one
            # paragraph of lines that cannot be split, since LibreOffice breaks a long chain of
            # keep-with-next paragraphs; right-aligned lines sit at a right tab stop.
            p = out.add_paragraph()
            p.paragraph_format.keep_together = True
            p.paragraph_format.line_spacing = 1.8  # room to sign
            p.paragraph_format.tab_stops.add_tab_stop(text_width, WD_TAB_ALIGNMENT.RIGHT)
            p.paragraph_format.tab_stops.add_tab_stop(text_width // 2, WD_TAB_ALIGNMENT.CENTER)
            for j, line in enumerate((block, *tail)):
                lead = {"left": "\u3000\u3000" if line.indent else "", "center": "\t", "right": "\t\t"}[line.align]
                run = p.add_run(lead + line.text.replace(JOIN, ""))
                set_fonts(run, pt=size - (1.5 if line.small else 0))
                if j < len(tail):
                    run.add_break()
            k += len(tail)
            continue
        if isinstance(block, Heading):
            p = out.add_paragraph()
            p.paragraph_format.space_before = Pt(4 if doc.compact else 8)
            p.paragraph_format.keep_with_next = True
            set_fonts(p.add_run(block.text.replace(JOIN, "")), bold=True, pt=size + 1, east="SimHei")
        elif isinstance(block, Paragraph):
            p = out.add_paragraph()
            p.alignment = align[block.align]
            if block.indent:
                p.paragraph_format.first_line_indent = Pt(2 * size)
            p.paragraph_format.keep_with_next = block.keep_with_next
            p.paragraph_format.keep_together = block.keep_with_next
            run = p.add_run(block.text.replace(JOIN, ""))
            set_fonts(run, pt=size - (1.5 if block.small else 0))
            if block.small:
                run.font.color.rgb = RGBColor(0x44, 0x44, 0x44)
        elif isinstance(block, Bullets):
            for item in block.items:
                p = out.add_paragraph(style="List Number" if block.numbered else "List Bullet")
                set_fonts(p.add_run(item.replace(JOIN, "")), pt=size)
        elif isinstance(block, Table):
            grid = out.add_table(rows=1 + len(block.rows), cols=len(block.header))
            grid.style = "Table Grid"
            grid.alignment = WD_TABLE_ALIGNMENT.CENTER
            total = sum(block.widths)
            usable = section.page_width - section.left_margin - section.right_margin
            aligns = block.align or "L" + "R" * (len(block.header) - 1)
            # Fixed column widths in the grid too: LibreOffice and WPS lay a table out from its
            # grid (w:tblGrid), not from the cells' widths, and autofit would spread it evenly.
            grid.autofit = False
            for c, column in enumerate(grid.columns):
                column.width = int(usable * block.widths[c] / total)
            for r, cells in enumerate((block.header, *block.rows)):
                bold = r == 0 or (block.bold_last_row and r == len(block.rows))
                for c, text in enumerate(cells):
                    cell = grid.cell(r, c)
                    cell.width = int(usable * block.widths[c] / total)
                    p = cell.paragraphs[0]
                    p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(1.5)
                    p.paragraph_format.line_spacing = 1.0
                    p.alignment = {"L": WD_ALIGN_PARAGRAPH.LEFT, "R": WD_ALIGN_PARAGRAPH.RIGHT,
                                   "C": WD_ALIGN_PARAGRAPH.CENTER}[aligns[c]]
                    set_fonts(p.add_run(text.replace(JOIN, "")), bold=bold, pt=size - 1.5)
            out.add_paragraph().paragraph_format.space_after = Pt(0)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()
