"""A stand-in for ftfy (not installable here) that OpenAI's simple_tokenizer.py imports.

It implements the steps of ftfy 6.3's fix_text (default configuration) that are
well-defined on valid text, in ftfy's order, and nothing else; datasets/text/clean.go
implements the same steps in Go:

- text is fixed in segments that end after each "\n"; once a segment holds "<", HTML
  entities are left alone in it and in every later segment (ftfy's unescape_html="auto");
- each segment is fixed until it stops changing, one round being: unescape HTML entities
  (only "&name;" / "&#...;" forms, plus all-caps names of lower-case entities), C1 controls
  read as Windows-1252, Latin ligatures split, full-width and half-width forms to their
  normal width, curly quotes straightened, line breaks to "\n", ANSI terminal escapes
  removed, invisible control characters removed, NFC.

Left out: fix_encoding (mojibake repair, a heuristic with no exact specification) and
fix_surrogates (a Go string of valid UTF-8 cannot hold a lone surrogate).
"""
import html
import html.entities
import re
import unicodedata


def _entity_table():
    # "&name;" -> text for the standard names ending in ";", plus the all-caps spelling
    # of each lower-case name when that spelling is not itself an entity.
    table = {}
    for name, value in html.entities.html5.items():
        if not name.endswith(";"):
            continue
        table["&" + name] = value
        if name == name.lower():
            shout = "&" + name.upper()
            if html.unescape(shout) == shout:
                table[shout] = value.upper()
    return table


_ENTITIES = _entity_table()
_ENTITY = re.compile(r"&#?[0-9A-Za-z]{1,24};")


def _entity(m):
    ref = m.group(0)
    if ref in _ENTITIES:
        return _ENTITIES[ref]
    if ref.startswith("&#"):
        out = html.unescape(ref)
        # A numeric reference that html.unescape decoded only in part stays as it was.
        return ref if ";" in out else out
    return ref


_LIGATURES = {
    0x0132: "IJ", 0x0133: "ij", 0x0149: "\u02bcn",
    0x01F1: "DZ", 0x01F2: "Dz", 0x01F3: "dz",
    0x01C4: "D\u017d", 0x01C5: "D\u017e", 0x01C6: "d\u017e",
    0x01C7: "LJ", 0x01C8: "Lj", 0x01C9: "lj",
    0x01CA: "NJ", 0x01CB: "Nj", 0x01CC: "nj",
    0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl",
    0xFB05: "\u017ft", 0xFB06: "st",
}


def _width_table():
    table = {0x3000: " "}
    for cp in range(0xFF01, 0xFFF0):
        alt = unicodedata.normalize("NFKC", chr(cp))
        if alt != chr(cp):
            table[cp] = alt
    return table


_WIDTH = _width_table()
_CONTROLS = dict.fromkeys(
    list(range(0x00, 0x09)) + [0x0B] + list(range(0x0E, 0x20)) + [0x7F]
    + list(range(0x206A, 0x2070)) + [0xFEFF] + list(range(0xFFF9, 0xFFFD)))
_C1 = re.compile("[\x80-\x9f]")
_SINGLE_QUOTES = re.compile("[\u02bc\u2018-\u201b]")
_DOUBLE_QUOTES = re.compile("[\u201c-\u201f]")
_ANSI = re.compile("\033\\[((?:\\d|;)*)([a-zA-Z])")


def _c1(m):
    # Windows-1252 for the bytes it defines; the five it leaves undefined stay as they are.
    try:
        return m.group(0).encode("latin-1").decode("windows-1252")
    except UnicodeDecodeError:
        return m.group(0)


def _fix_segment(text, entities):
    while True:
        before = text
        if entities:
            text = _ENTITY.sub(_entity, text)
        text = _C1.sub(_c1, text)
        text = text.translate(_LIGATURES)
        text = text.translate(_WIDTH)
        text = _SINGLE_QUOTES.sub("'", _DOUBLE_QUOTES.sub('"', text))
        text = (text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
                .replace("\u2029", "\n").replace("\u0085", "\n"))
        text = _ANSI.sub("", text)
        text = text.translate(_CONTROLS)
        text = unicodedata.normalize("NFC", text)
        if text == before:
            return text


def fix_text(text):
    out = []
    entities = True
    pos = 0
    while pos < len(text):
        end = text.find("\n", pos) + 1 or len(text)
        segment = text[pos:end]
        if "<" in segment:
            entities = False
        out.append(_fix_segment(segment, entities))
        pos = end
    return "".join(out)
