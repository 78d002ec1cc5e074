"""Text-level XML helpers: escaping that an XML parser reads back exactly, and tag editing."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from dunning.io.xlsx.markup import (
    escape_attr,
    escape_text,
    find_element,
    get_attr,
    remove_attr,
    root_prefix,
    set_attr,
    start_tag_at,
    unescape_attr,
)

TRICKY = ['a < b & c > d', 'say "hi"', "it's", "&amp; already", "]]>", "tab\there", "é € 𝄞"]


@pytest.mark.parametrize("text", TRICKY)
def test_escaped_text_parses_back_as_written(text):
    assert ET.fromstring(f"<t>{escape_text(text)}</t>").text == text


@pytest.mark.parametrize("text", [*TRICKY, "two\nlines", "cr\rlf\r\n", "  edges  ", "\t"])
def test_escaped_attributes_parse_back_as_written(text):
    """Attribute-value normalisation would turn a raw tab, CR or LF into a space."""
    escaped = escape_attr(text)
    assert not set(escaped) & {'"', "<", "\n", "\r", "\t"}
    assert ET.fromstring(f'<a v="{escaped}"/>').get("v") == text
    assert unescape_attr(escaped) == text


def test_illegal_xml_characters_are_not_made_legal_by_escaping():
    """Escaping is not a filter: a control character stays, and a parser then refuses it."""
    text = "bell\x07"
    assert escape_text(text) == text
    with pytest.raises(ET.ParseError):
        ET.fromstring(f"<t>{escape_text(text)}</t>")


def test_unescape_decodes_entities_and_character_references():
    assert unescape_attr("&lt;&gt;&amp;&quot;&apos;") == "<>&\"'"
    assert unescape_attr("&#65;&#x42;&#x1D11E;") == "AB𝄞"
    assert unescape_attr("&amp;lt;") == "&lt;"  # decoded once, not twice
    assert unescape_attr("plain") == "plain"


def test_a_character_reference_to_an_ampersand_is_decoded_once():
    value = "&#38;lt; and &#x26;amp;"
    assert unescape_attr(value) == ET.fromstring(f'<a v="{value}"/>').get("v") == "&lt; and &amp;"


def test_get_attr_reads_whole_names_only():
    tag = """<c r="B7" s='3' t = "s" x:r="Z9" rr="1">"""
    assert get_attr(tag, "r") == "B7"
    assert get_attr(tag, "s") == "3"  # single quotes
    assert get_attr(tag, "t") == "s"  # spaces around =
    assert get_attr(tag, "x:r") == "Z9"
    assert get_attr(tag, "rr") == "1"
    assert get_attr(tag, "missing") is None
    assert get_attr('<tableColumn name="A &amp; B&#10;C"/>', "name") == "A & B\nC"


def test_set_attr_replaces_or_adds_and_escapes():
    assert set_attr('<c r="A1" s="3">', "s", "5") == '<c r="A1" s="5">'
    assert set_attr('<c r="A1">', "s", "5") == '<c r="A1" s="5">'
    assert set_attr('<c r="A1"/>', "s", "5") == '<c r="A1" s="5"/>'
    assert set_attr('<c r="A1" />', "s", "5") == '<c r="A1" s="5"/>'
    assert set_attr('<c x:r="Z9" r="A1">', "r", "B2") == '<c x:r="Z9" r="B2">'
    tag = set_attr("<sheet/>", "name", 'Q&A "1"\n')
    assert ET.fromstring(tag).get("name") == 'Q&A "1"\n'
    assert get_attr(tag, "name") == 'Q&A "1"\n'


def test_remove_attr_removes_only_that_attribute():
    assert remove_attr('<row r="3" spans="1:4" ht="20">', "spans") == '<row r="3" ht="20">'
    assert remove_attr('<c rr="1" r="2">', "r") == '<c rr="1">'
    assert remove_attr('<c r="2">', "t") == '<c r="2">'


def test_root_prefix():
    assert root_prefix('<?xml version="1.0"?><x:worksheet xmlns:x="m">', "worksheet") == "x:"
    assert root_prefix('<worksheet xmlns="m">', "worksheet") == ""
    assert root_prefix("<worksheet/>", "worksheet") == ""
    assert root_prefix("<worksheets>", "worksheet") == ""  # no such root: no prefix


def test_find_element_spans_whole_elements():
    xml = '<a><bb/><b x="1"/><b>text</b><x:b>p</x:b></a>'
    first = find_element(xml, "b")
    assert xml[slice(*first)] == '<b x="1"/>'  # not <bb/>
    second = find_element(xml, "b", start=first[1])
    assert xml[slice(*second)] == "<b>text</b>"
    prefixed = find_element(xml, "b", "x:")
    assert xml[slice(*prefixed)] == "<x:b>p</x:b>"
    assert find_element(xml, "c") is None
    assert find_element("<a><b>unclosed</a>", "b") is None
    assert start_tag_at(xml, second[0]) == "<b>"
    assert start_tag_at(xml, first[0]) == '<b x="1"/>'
