"""Safe XML parsing (entities, DTDs, limits) and CDATA-safe rendering."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wxkit.errors import ParseError
from wxkit.xmlcodec import (
    DEFAULT_MAX_BODY_SIZE,
    _parse_expat,
    _parse_flat,
    _scan_envelope,
    cdata,
    parse_xml,
    render_xml,
)

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<xml><Content>&lol3;</Content><MsgType>text</MsgType></xml>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><Content>&xxe;</Content><MsgType>text</MsgType></xml>"""

PARAM_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>
<xml><MsgType>text</MsgType></xml>"""


def test_parses_text_cdata_nested_and_repeated() -> None:
    xml = """<xml>
      <ToUserName><![CDATA[gh_1]]></ToUserName>
      <CreateTime>1348831860</CreateTime>
      <Info><Count>2</Count><PicList><item><PicMd5Sum>a</PicMd5Sum></item><item><PicMd5Sum>b</PicMd5Sum></item>
      </PicList></Info>
      <Empty/>
    </xml>"""
    data = parse_xml(xml)
    assert data["ToUserName"] == "gh_1"
    assert data["CreateTime"] == "1348831860"
    assert data["Info"]["Count"] == "2"
    assert data["Info"]["PicList"]["item"] == [{"PicMd5Sum": "a"}, {"PicMd5Sum": "b"}]
    assert data["Empty"] == ""


def test_bytes_and_str_give_the_same_result() -> None:
    xml = "<xml><Content><![CDATA[你好 😀]]></Content></xml>"
    assert parse_xml(xml) == parse_xml(xml.encode()) == {"Content": "你好 😀"}


def test_escaped_entities_and_split_cdata() -> None:
    assert parse_xml("<xml><A>a &amp; b &lt;c&gt;</A></xml>") == {"A": "a & b <c>"}
    assert parse_xml("<xml><A><![CDATA[x]]]]><![CDATA[>y]]></A></xml>") == {"A": "x]]>y"}


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE, PARAM_ENTITY])
def test_dtd_and_entities_are_refused(payload: str) -> None:
    with pytest.raises(ParseError, match="DOCTYPE"):
        parse_xml(payload)


def test_undefined_entity_is_refused() -> None:
    with pytest.raises(ParseError, match="undefined entity"):
        parse_xml("<xml><A>&xxe;</A></xml>")


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   ",
        "<xml>",
        "<xml><A></xml>",
        "not xml at all",
        "<xml></xml><xml></xml>",
        "<xml><A>1</A>",
        b"\xff\xfe<\x00x\x00",
        "<xml><A>\x00</A></xml>",
        "<xml><A>a]]>b</A></xml>",
    ],
)
def test_malformed_xml(body: str | bytes) -> None:
    with pytest.raises(ParseError):
        parse_xml(body)


def test_root_must_be_xml() -> None:
    with pytest.raises(ParseError, match="root element must be <xml>"):
        parse_xml("<root><A>1</A></root>")
    assert parse_xml("<root><A>1</A></root>", root="root") == {"A": "1"}


def test_size_limit() -> None:
    big = "<xml><A>" + "a" * (DEFAULT_MAX_BODY_SIZE + 1) + "</A></xml>"
    with pytest.raises(ParseError, match="exceeds"):
        parse_xml(big)
    with pytest.raises(ParseError, match="exceeds"):
        parse_xml("<xml><A>12345</A></xml>", max_size=10)
    assert parse_xml(big, max_size=None)["A"] == "a" * (DEFAULT_MAX_BODY_SIZE + 1)


def test_ten_megabyte_body_is_refused_without_parsing() -> None:
    with pytest.raises(ParseError, match="exceeds"):
        parse_xml(b"<xml>" + b"<A>x</A>" * (10 * 1024 * 1024 // 8) + b"</xml>")


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(ParseError, match="nested too deeply"):
        parse_xml("<xml>" + "<a>" * 100 + "</a>" * 100 + "</xml>")


def test_not_str_or_bytes() -> None:
    with pytest.raises(ParseError, match="str or bytes"):
        parse_xml(123)  # type: ignore[arg-type]


def test_cdata_cannot_be_closed_by_content() -> None:
    hostile = "x]]><Injected>1</Injected><![CDATA[y"
    rendered = f"<xml><Content>{cdata(hostile)}</Content></xml>"
    assert parse_xml(rendered) == {"Content": hostile}


def test_cdata_drops_characters_xml_cannot_carry() -> None:
    assert cdata("a\x00b\x1fc\td\n") == "<![CDATA[abc\td\n]]>"


def test_render_xml() -> None:
    xml = render_xml({"A": "t]]>x", "B": 3, "C": True, "D": None, "L": [{"T": "a"}, {"T": "b"}], "N": {"X": "1"}})
    assert parse_xml(xml) == {"A": "t]]>x", "B": "3", "C": "1", "D": "", "L": [{"T": "a"}, {"T": "b"}], "N": {"X": "1"}}
    with pytest.raises(ValueError, match="invalid XML element name"):
        render_xml({"bad name": "x"})


# -- the flat fast path must agree with expat on everything it accepts -------
_names = st.sampled_from(["ToUserName", "FromUserName", "Content", "A", "b_1", "x.y", "MsgId"])
_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
_element = st.tuples(_names, _text, st.sampled_from(["cdata", "plain", "split"]))


def _render(elements: list[tuple[str, str, str]], sep: str) -> str:
    parts = []
    for name, text, style in elements:
        if style == "cdata":
            body = f"<![CDATA[{text}]]>"
        elif style == "split":
            body = cdata(text)
        else:
            body = text
        parts.append(f"{sep}<{name}>{body}</{name}>")
    return "<xml>" + "".join(parts) + sep + "</xml>"


@settings(max_examples=400)
@given(st.lists(_element, max_size=6), st.sampled_from(["", "\n", " \t", "\r\n"]))
def test_flat_fast_path_agrees_with_expat(elements: list[tuple[str, str, str]], sep: str) -> None:
    data = _render(elements, sep).encode("utf-8", "surrogatepass")
    try:
        expected = _parse_expat(data, "xml")
    except ParseError:
        expected = None
    flat = _parse_flat(data)
    if flat is not None:
        assert flat == expected
    # and the public entry point always agrees with expat
    if expected is None:
        with pytest.raises(ParseError):
            parse_xml(data)
    else:
        assert parse_xml(data) == expected


@given(st.binary(max_size=200))
def test_random_bytes_parse_or_raise_parse_error(data: bytes) -> None:
    try:
        result = parse_xml(data)
    except ParseError:
        return
    assert isinstance(result, dict)


def test_fast_path_defers_on_unusual_documents() -> None:
    for doc in [
        b'<?xml version="1.0"?><xml><A>1</A></xml>',
        b'<xml><A x="1">1</A></xml>',
        b"<xml><A>1</A><A>2</A></xml>",
        b"<xml><A><B>1</B></A></xml>",
        b"<xml><A>a &amp; b</A></xml>",
        b"<xml><A>a\rb</A></xml>",
    ]:
        assert _parse_flat(doc) is None
        assert parse_xml(doc) == _parse_expat(doc, "xml")


# -- the safe-mode envelope scan must agree with the parser whenever it answers ------------------------
_env_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["gh_abc", "wwcorp", "1000002", "a]]>b", "<x>", "a&amp;b", "", "\r", "é"]
)
_b64 = st.text(alphabet="ABCxyz019+/=", max_size=40) | st.sampled_from(["", "QUJD", "a]]>b", "a\rb", "a b", "é"])
_ws = st.sampled_from(["", "", "\n", " \t", "\r\n", "  "])


def _value(text: str, cdata_style: bool) -> str:
    return f"<![CDATA[{text}]]>" if cdata_style else text


@st.composite
def _envelopes(draw: st.DrawFn) -> str:
    parts = []
    if draw(st.booleans()):
        parts.append(("ToUserName", draw(_env_text)))
    if draw(st.booleans()):
        parts.append(("AgentID", draw(_env_text)))
    parts.append(("Encrypt", draw(_b64)))
    if draw(st.integers(0, 5)) == 0:
        parts.append((draw(st.sampled_from(["Encrypt", "Extra", "ToUserName"])), draw(_b64)))
    if draw(st.integers(0, 4)) == 0:
        parts = draw(st.permutations(parts))
    body = "".join(f"{draw(_ws)}<{name}>{_value(text, draw(st.booleans()))}</{name}>" for name, text in parts)
    head = draw(st.sampled_from(["<xml>", " <xml>", '<?xml version="1.0"?><xml>']))
    return f"{head}{body}{draw(_ws)}</xml>{draw(_ws)}"


@settings(max_examples=500)
@given(_envelopes(), st.booleans())
def test_envelope_scan_agrees_with_the_parser(doc: str, as_bytes: bool) -> None:
    body: str | bytes = doc.encode("utf-8", "surrogatepass") if as_bytes else doc
    found = _scan_envelope(body)
    if found is None:
        return  # the full parser decides
    parsed = parse_xml(body)  # never a ParseError when the scan answered
    assert parsed["Encrypt"] == found


@pytest.mark.parametrize(
    "doc",
    [
        "<xml><ToUserName><![CDATA[gh_abc]]></ToUserName><Encrypt><![CDATA[QUJD+/==]]></Encrypt></xml>",
        "<xml><ToUserName><![CDATA[ww1]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID>"
        "<Encrypt><![CDATA[QUJD]]></Encrypt></xml>",
        "<xml>\n  <Encrypt>QUJD</Encrypt>\n</xml>\n",
    ],
)
def test_envelope_scan_takes_wechats_shapes(doc: str) -> None:
    for body in (doc, doc.encode()):
        found = _scan_envelope(body)
        assert found is not None
        assert found == parse_xml(body)["Encrypt"]


@pytest.mark.parametrize("body", ["<xml><Encrypt><![CDATA[]]></Encrypt></xml>", "<xml><Encrypt></Encrypt></xml>"])
def test_envelope_scan_reads_an_empty_encrypt_as_empty(body: str) -> None:
    for doc in (body, body.encode()):
        assert _scan_envelope(doc) == "" == parse_xml(doc)["Encrypt"]


def test_envelope_scan_defers_on_anything_else() -> None:
    for doc in [
        "<xml><Encrypt><![CDATA[QUJD]]></Encrypt><Encrypt>QUJD</Encrypt></xml>",  # repeated: a list
        "<xml><Extra>1</Extra><Encrypt>QUJD</Encrypt></xml>",
        "<xml><Encrypt>QU&amp;JD</Encrypt></xml>",
        "<xml><Encrypt>QUJD</Encrypt></xml>\r\n",
        '<?xml version="1.0"?><xml><Encrypt>QUJD</Encrypt></xml>',
    ]:
        assert _scan_envelope(doc) is None
