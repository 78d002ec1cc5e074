"""Payment links: every field URL-encoded, only http(s), a bad template refused."""

from urllib.parse import parse_qs, urlsplit

import pytest

from dunning.core.payments import link_problem, names_invoice, payment_link, template_problem

TEMPLATE = "https://pay.example.com/p?c={customer}&i={invoice}&a={amount}&cur={currency}"


def test_each_field_is_url_encoded_and_reads_back():
    link = payment_link(TEMPLATE, "A&B/C?", "INV 7#1", 1234.5, "EUR")
    query = parse_qs(urlsplit(link).query)
    assert query == {"c": ["A&B/C?"], "i": ["INV 7#1"], "a": ["1234.50"], "cur": ["EUR"]}
    assert " " not in link and "#" not in link


def test_a_template_without_invoice_makes_one_link_per_message():
    template = "https://pay.example.com/{customer}"
    assert not names_invoice(template) and names_invoice(TEMPLATE)
    assert payment_link(template, "ÉLAN 1") == "https://pay.example.com/%C3%89LAN%201"


@pytest.mark.parametrize("template", [
    "javascript:alert(1)//{customer}", "mailto:ar@example.com?subject={customer}",
    "ftp://example.com/{customer}", "https://pay.example.com/{customr}",
    "https://pay.example.com/{customer!r}", "https:///{customer}", "pay.example.com/{invoice}",
    "https://pay.example.com/{customer} now", "https://pay.example.com/{",
])
def test_bad_templates_are_refused(template):
    assert template_problem(template)


def test_good_templates_pass():
    assert template_problem(TEMPLATE) == ""
    assert template_problem("http://localhost.example/pay") == ""


def test_links_from_the_invoices_table_are_checked_the_same_way():
    assert link_problem("https://pay.example.com/inv/1") == ""
    assert link_problem("javascript:alert(1)")
    assert link_problem("https://pay.example.com/a\r\nBcc: x@example.com")
    with pytest.raises(ValueError):
        payment_link("javascript:{customer}", "A")


@pytest.mark.parametrize("value", ["A&B/C?", "ÉLAN 1", "a b+c=d%e#f", "名前", "~._-", ""])
def test_the_encoding_is_urllibs_quote_with_nothing_safe(value):
    from urllib.parse import quote as urllib_quote

    from dunning.core.payments import quote

    assert quote(value) == urllib_quote(value, safe="")
