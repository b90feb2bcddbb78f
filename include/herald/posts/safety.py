"""Input safety (CON-4): control characters, markup in plain fields and unsafe article HTML are refused.

Invisible characters that make text read differently from what it is are refused in every field
(title, body, source, category, ids, media file names) with the character named: C0 controls and
NUL; the direction overrides, embeddings and isolates (U+202A–U+202E, U+2066–U+2069, the
"Trojan Source" characters); the left-to-right / right-to-left marks (U+200E, U+200F) in text that
has no right-to-left script for them to order; zero-width space, non-joiner, joiner, word joiner
and BOM (U+200B–U+200D, U+2060, U+FEFF), which hide words from screening and readers alike. A
zero-width joiner between two emoji (👨‍👩‍👧, ❤️‍🔥) is how the emoji is spelt and stays. In an HTML
body the check reads the text as a browser will, character references decoded (``&#x202E;``).

Plain fields (title, source, category) may not carry markup at all. An HTML body (a WeChat article,
and the website/blog pages that go out as HTML too) is run through nh3 (Ammonia, an HTML5 parser
plus allow-list sanitiser) with ``WECHAT_ARTICLE_TAGS`` / ``WECHAT_ARTICLE_ATTRIBUTES``: whatever
the sanitiser would remove -- a tag, an attribute, a link whose scheme is not http/https, a style
property, a comment -- is named to the author, one message per item, and the post is refused.
Nothing is stored cleaned behind the author's back: the queue stores a post only when nothing is
wrong (``herald.posts.queue``), approvers sign the hash of exactly what was submitted, and the same
check runs again before dispatch, so a stored body is always one the sanitiser leaves intact.

Entity-encoded and obfuscated schemes (``&#106;avascript:``, ``jav&#x09;ascript:``) are decoded
by the HTML parser the way a browser decodes them, which a regular expression cannot do.

There is no SQL-keyword filter: Herald binds every value as a SQL parameter, so text such as
``'; DROP TABLE posts; --`` is stored as the text it is and runs nowhere; filtering it only refused
ordinary writing (``价格 /* 特惠 */ 10元``, ``It's 5 o'clock; drop by anytime``).
"""

from __future__ import annotations

import dataclasses
import html as html_text
import re
import unicodedata
from collections import Counter
from html.parser import HTMLParser

import nh3

from herald.errors import Violation

RULE = "CON-4"  # endangering company security (001 art.16 item 1)

# What a WeChat article body (draft/add "content", HTML) may carry. The platform contract gives no
# list: the platform strips scripts and drops video/audio/embed, and the article editor produces
# sections, paragraphs, inline formatting, headings, lists, tables, images and links, all laid out
# with inline styles (articles have no style sheets, so ``class`` is inert). Anything else is
# refused with its name so the author can fix the source.
WECHAT_ARTICLE_TAGS = frozenset({
    "a", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "del", "div", "em",
    "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p",
    "pre", "s", "section", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "u", "ul",
})
WECHAT_ARTICLE_ATTRIBUTES: dict[str, frozenset[str]] = {
    "*": frozenset({"style", "class"}),
    "a": frozenset({"href", "title"}),
    # data-src: WeChat's lazy image loading; its scheme is checked like src.
    "img": frozenset({"src", "data-src", "alt", "title", "width", "height"}),
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"colspan", "rowspan"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "ol": frozenset({"start"}),
}
# Inline style keeps typography and box layout; position/z-index (overlays), background and
# background-image / list-style (url() loads) and legacy script hooks (behavior, -moz-binding)
# are not on the list.
WECHAT_STYLE_PROPERTIES = frozenset({
    "color", "background-color", "font-size", "font-weight", "font-style", "font-family",
    "text-align", "text-decoration", "text-indent", "line-height", "letter-spacing", "word-break",
    "word-wrap", "overflow-wrap", "white-space", "vertical-align", "display", "box-sizing",
    "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
    "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
    "border", "border-top", "border-right", "border-bottom", "border-left", "border-color",
    "border-style", "border-width", "border-radius", "border-collapse", "border-spacing",
    "width", "max-width", "min-width", "height", "max-height", "min-height", "list-style-type",
    "overflow", "float", "clear",
})
URL_SCHEMES = frozenset({"http", "https"})  # relative and scheme-less URLs are refused too
_URL_ATTRIBUTES = frozenset({"href", "src", "data-src"})
# Tags that execute or embed something: named as such in the message.
_ACTIVE_TAGS = frozenset({
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input",
    "button", "textarea", "select", "meta", "link", "base", "svg", "math", "template", "video",
    "audio", "source", "noscript",
})

# Elements the HTML5 tree builder may add to a body on its own (implied table parts, </p> and
# </br> as elements, formatting elements re-opened by the adoption agency, attributes included).
_TREE_BUILDER_TAGS = frozenset({
    "tbody", "tr", "colgroup", "p", "br", "a", "b", "code", "em", "i", "s", "strong", "u",
})

_ANY_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0 and C1 (NEL U+0085 included)
_DIRECTION_OVERRIDES = re.compile("[\u202a-\u202e\u2066-\u2069]")
_DIRECTION_MARKS = re.compile("[\u200e\u200f]")
_ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")
# Tag characters are invisible; their one honest use is a subdivision flag (black flag, tags, cancel tag).
_TAGS = re.compile("[\U000e0000-\U000e007f]")
_FLAG_TAG_SEQUENCE = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")
_ZWJ = "\u200d"
# What may sit between an emoji and a joiner: variation selector 16 (emoji presentation) and the
# skin-tone modifiers.
_EMOJI_TRAILERS = frozenset("\ufe0f") | frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))
# What a browser ignores in a URL before reading its scheme (WHATWG URL: C0 controls and space
# around it, tab and newlines anywhere).
_URL_IGNORED = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
_STYLE_NAME = re.compile(r"\s*([a-zA-Z-]+)\s*:")


def _is_web_url(value: str) -> bool:
    url = _URL_IGNORED.sub("", value).strip(_C0_AND_SPACE)
    scheme, colon, rest = url.partition(":")
    return bool(colon) and scheme.lower() in URL_SCHEMES and rest.startswith("//")


def _keep_attribute(tag: str, name: str, value: str) -> str | None:
    # Ammonia checks the scheme of href and src itself; data-src is WeChat's and gets the same rule.
    if name == "data-src" and not _is_web_url(value):
        return None
    return value


_CLEANER = nh3.Cleaner(
    tags=set(WECHAT_ARTICLE_TAGS),
    clean_content_tags={"script", "style"},
    attributes={tag: set(names) for tag, names in WECHAT_ARTICLE_ATTRIBUTES.items()},
    attribute_filter=_keep_attribute,
    strip_comments=True,
    link_rel=None,  # add nothing: the body must come out as it went in when nothing is wrong
    url_schemes=set(URL_SCHEMES),
    url_relative="deny",
    filter_style_properties=set(WECHAT_STYLE_PROPERTIES),
)


@dataclasses.dataclass(frozen=True)
class Removal:
    """One thing the sanitiser takes out of an article body.

    ``kind`` is ``tag``, ``handler`` (an on* attribute), ``link`` (a URL attribute whose value is
    not an http/https URL), ``attribute``, ``style`` (one style property), ``comment``,
    ``declaration`` or ``unreadable`` (the parsers disagree, see ``sanitize_article_html``);
    ``name`` the tag, attribute or property; ``value`` the URL or text.
    """

    kind: str
    tag: str = ""
    name: str = ""
    value: str = ""


@dataclasses.dataclass(frozen=True)
class Sanitized:
    html: str
    removed: tuple[Removal, ...]


class _Inventory(HTMLParser):
    """Start tags with their attributes, comments and declarations, in document order."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.items: list[Removal] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.items.append(Removal("tag", tag))
        for name, value in attrs:
            value = value or ""
            if name == "style":
                self.items += [Removal("style", tag, prop) for prop in _style_properties(value)]
            elif name.startswith("on"):
                self.items.append(Removal("handler", tag, name, value))
            elif name in _URL_ATTRIBUTES and name in _allowed_attributes(tag):
                self.items.append(Removal("link", tag, name, value))
            else:
                self.items.append(Removal("attribute", tag, name, value))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data):
        self.items.append(Removal("comment", value=data))

    def handle_decl(self, decl):
        self.items.append(Removal("declaration", value=decl))

    handle_pi = unknown_decl = handle_decl


def _allowed_attributes(tag: str) -> frozenset[str]:
    return WECHAT_ARTICLE_ATTRIBUTES["*"] | WECHAT_ARTICLE_ATTRIBUTES.get(tag, frozenset())


def _style_properties(style: str) -> list[str]:
    """The property of each declaration as written; a declaration whose property is not a plain
    name (CSS escapes, comments, stray text) is kept whole, so it never matches what the sanitiser
    kept. Splitting at every semicolon, even one inside quotes, can only list more than CSS reads
    (a quoted ``;`` in a font name is reported), never less."""
    names = []
    for declaration in style.split(";"):
        if not declaration.strip():
            continue
        match = _STYLE_NAME.match(declaration)
        names.append(match.group(1) if match else declaration.strip())
    return names


def sanitize_article_html(html: str) -> Sanitized:
    """The body as nh3 cleans it with the WeChat allow-list, and everything that cleaning removed.

    What was removed is found by listing the tags, attributes, style properties and comments of
    the submitted body and of the cleaned one (the same parser reads both) and taking the
    difference, so every removal the sanitiser makes is reported, however it was spelled.
    """
    cleaned = _CLEANER.clean(html)
    before, after = _Inventory(html).items, _Inventory(cleaned).items
    lost = Counter(before) - Counter(after)
    removed = []
    for item in before:
        if lost[item] > 0:
            lost[item] -= 1
            removed.append(item)
    # A removed tag takes its attributes with it: name the tag only.
    removed_tags = {item.tag for item in removed if item.kind == "tag"} - WECHAT_ARTICLE_TAGS
    removed = [item for item in removed if item.kind == "tag" or item.tag not in removed_tags]
    # The cleaned body may hold elements the submitted one did not: the HTML5 tree builder adds
    # table sections, turns </p> and </br> into elements and re-opens misnested formatting tags.
    # Anything else means the two parsers read the submission differently (a browser and nh3 saw
    # markup the inventory missed), so what was removed cannot be listed: refuse it as unreadable.
    gained = Counter(after) - Counter(before)
    if any(item.tag not in _TREE_BUILDER_TAGS for item in gained):
        removed.append(Removal("unreadable"))
    return Sanitized(cleaned, tuple(removed))


def _shown(text: str, limit: int = 40) -> str:
    text = text.encode("unicode_escape").decode("ascii") if _CONTROL.search(text) or "\t" in text else text
    return text if len(text) <= limit else text[:limit] + "…"


_MESSAGES = {
    "handler": "<{tag}>上的事件属性 {name} 会执行脚本",
    "link": "<{tag}>的{name}链接“{value}”不是 http/https 网址",
    "attribute": "<{tag}>上的属性 {name} 不在微信正文允许的属性之列",
    "style": "<{tag}>的样式“{name}”不在微信正文允许的样式之列",
    "comment": "正文含有 HTML 注释“{value}”",
    "declaration": "正文含有网页声明“{value}”",
}


def _message(item: Removal) -> str:
    """The author's message for one removal, in Chinese."""
    if item.kind == "unreadable":
        return "正文的网页结构无法可靠解析（标记残缺或嵌套混乱），请整理 HTML 后重新提交"
    if item.kind == "tag" and item.tag in WECHAT_ARTICLE_TAGS:
        return f"网页标签<{item.tag}>所在位置不合 HTML 规范，清理后不会保留，请检查后重新提交"
    if item.kind == "tag":
        what = "可执行或嵌入外部内容的" if item.tag in _ACTIVE_TAGS else ""
        text = f"正文含有{what}网页标签<{item.tag}>，不在微信正文允许的标签之列"
    else:
        text = _MESSAGES[item.kind].format(tag=item.tag, name=_shown(item.name), value=_shown(item.value.strip()))
    return text + "，安全清理会将其删除，请去掉后重新提交"


def _is_emoji(ch: str) -> bool:
    """An emoji a joiner may join: a pictographic symbol (Unicode category So) outside the ASCII range."""
    return ord(ch) > 0x7F and unicodedata.category(ch) == "So"


def _emoji_joiner(text: str, index: int) -> bool:
    """The joiner at ``index`` sits inside an emoji sequence: an emoji (with its presentation or
    skin-tone modifiers) before it and an emoji after it."""
    before = index - 1
    while before >= 0 and text[before] in _EMOJI_TRAILERS:
        before -= 1
    return before >= 0 and _is_emoji(text[before]) and index + 1 < len(text) and _is_emoji(text[index + 1])


def _has_right_to_left(text: str) -> bool:
    """Right-to-left letters (Hebrew, Arabic ...), the right-to-left mark itself not counted."""
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text if ch != "\u200f")


def _named(ch: str) -> str:
    return f"U+{ord(ch):04X}（{unicodedata.name(ch, 'CONTROL')}）"


def _invisible_characters(value: str) -> list[str]:
    """Messages for the invisible characters of one field, one per kind, naming the first found."""
    messages = []
    control = _CONTROL.search(value)
    if control:
        what = "空字符 NUL（U+0000）" if "\x00" in value else f"不可见控制字符 {_named(control.group(0))}"
        messages.append(f"文本含有{what}，请删除后重新提交")
    override = _DIRECTION_OVERRIDES.search(value)
    if override:
        messages.append(f"文本含有文字方向控制符 {_named(override.group(0))}，会使显示的文字与实际内容不符，请删除后重新提交")
    mark = _DIRECTION_MARKS.search(value)
    if mark and not _has_right_to_left(value):
        messages.append(f"文本含有文字方向标记 {_named(mark.group(0))}，文中没有需要它排序的从右向左文字，请删除后重新提交")
    hidden = next((m.group(0) for m in _ZERO_WIDTH.finditer(value)
                   if not (m.group(0) == _ZWJ and _emoji_joiner(value, m.start()))), None)
    if hidden:
        messages.append(f"文本含有零宽字符 {_named(hidden)}，可把词语拆开躲过审核或隐藏内容，请删除后重新提交")
    tag = _TAGS.search(_FLAG_TAG_SEQUENCE.sub("", value))
    if tag:
        messages.append(f"文本含有不可见的标签字符 {_named(tag.group(0))}，可隐藏内容，请删除后重新提交")
    return messages


def check_text_field(field: str, value: str, *, html_allowed: bool) -> list[Violation]:
    """CON-4 violations of one text field: control and invisible characters (see the module doc);
    markup in a plain field; in an HTML body, one violation per distinct thing the sanitiser would
    remove (repeats counted)."""
    shown_text = html_text.unescape(value) if html_allowed else value
    violations = [Violation(field, RULE, message) for message in
                  dict.fromkeys(_invisible_characters(value) + _invisible_characters(shown_text))]
    if html_allowed:
        messages = Counter(_message(item) for item in sanitize_article_html(value).removed)
        violations += [Violation(field, RULE, message if count == 1 else f"{message}（共 {count} 处）")
                       for message, count in messages.items()]
    else:
        match = _ANY_TAG.search(value)
        if match:
            violations.append(Violation(field, RULE, f"该字段不允许包含网页标记“{match.group(0)}”"))
    return violations
