"""Reminder messages: items and totals, the opt-out, the letters, charges; and the helpers the
other rendering tests (test_sandbox, test_mime, test_headers) import from here."""

from __future__ import annotations

import datetime as dt
import email
import re
import subprocess
import sys
from email import policy
from importlib import resources
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from jinja2 import DictLoader

from dunning.core.amounts import money
from dunning.core.charges import ChargeSettings, charges_for_items
from dunning.core.errors import DunningInputError
from dunning.mail.mime import to_email
from dunning.render.messages import Message, Sender, render_messages
from dunning.render.numbers import format_totals
from dunning.render.sandbox import (
    BUILT_IN_LANGUAGES,
    BUILT_IN_STAGES,
    FIELDS,
    TemplateSet,
    _built_in_from,
)
from dunning.sheets.reference_rates import load_reference_rates

RATES = load_reference_rates()
"""The shipped reference rates, which a run passes to every calculation."""


RUN = dt.date(2026, 11, 23)
SENDER = Sender("Acme Supplies Ltd", "Jane Smith", "ar@acme.example",
                "IBAN DE89 3704 0044 0532 0130 00\nBIC COBADEFFXXX")
HEADER = ["Stage", "Language", "Subject", "Text", "HTML"]

WHEN = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone.utc)
"""The moment of the run, which the caller always gives."""


def customer(customer_id="C1", *, name="Müller GmbH", contact="Anna Müller",
             address="anna@mueller.example", language="en", stage="friendly", action="send",
             items=None, **extra):
    row = dict(customer=customer_id, name=name, contact_name=contact, email=address,
               language=language, action=action, stage=stage, items=items or [])
    row.update(extra)
    return row


def item(customer_id="C1", invoice="INV-1", *, amount=1234.5, balance=None, currency="EUR",
         days=53, due="2026-10-01", issued="2026-09-01", included=True):
    return dict(customer=customer_id, invoice=invoice, invoice_date=pd.Timestamp(issued),
                due_date=pd.Timestamp(due), amount=amount,
                open_balance=amount if balance is None else balance, currency=currency,
                days_past_due=days, included=included)


def standard_items(customer_id="C1"):
    return [item(customer_id, "INV-1", amount=1234.5, days=53),
            item(customer_id, "CN-2", amount=-100.0, days=49, due="2026-10-05",
                 issued="2026-10-05"),
            item(customer_id, "INV-3", amount=20.0, currency="USD", days=18, due="2026-11-05",
                 issued="2026-10-05")]


def render(customers, items, templates=None, sender=SENDER, run_date=RUN):
    return render_messages(pd.DataFrame(customers), pd.DataFrame(items),
                           templates or TemplateSet.default(), sender, run_date)


def rows_set(*rows):
    return TemplateSet.from_rows([HEADER, *[list(row) for row in rows]])


def parsed(message: Message, sender=SENDER) -> email.message.EmailMessage:
    raw = to_email(message, sender, date=WHEN).as_bytes()
    return email.message_from_bytes(raw, policy=policy.default)


# ------------------------------------------------------------------ the message


def test_friendly_message_lists_items_nets_credits_and_totals_per_currency():
    [message] = render([customer()], standard_items())
    assert message.key == "C1|friendly|2026-11-23"
    assert message.to == "anna@mueller.example"
    assert message.subject == "Payment reminder – Acme Supplies Ltd"
    assert message.invoices == ("INV-1", "CN-2", "INV-3")
    assert message.totals == {"EUR": 1134.5, "USD": 20.0}
    assert message.language == "en" and message.note == ""
    text = message.text
    assert text.startswith("Dear Anna Müller,")
    assert "EUR 1,134.50 and USD 20.00" in text
    assert "credit note" in text and "EUR -100.00" in text
    assert "IBAN DE89 3704 0044 0532 0130 00\nBIC COBADEFFXXX" in text
    html = message.html
    assert html.count("<table") == 1 and html.count("<tr>") == 1 + 3 + 2  # head, items, totals
    assert "<strong>EUR 1,134.50 and USD 20.00</strong>" in html
    assert "IBAN DE89 3704 0044 0532 0130 00<br>BIC COBADEFFXXX" in html


def test_only_send_rows_and_included_items_are_rendered():
    customers = [customer(), customer("C2", address="b@two.example", action="wait"),
                 customer("C3", address="c@three.example", items=["K1"])]
    items = [*standard_items(), item("C1", "OLD", included=False), item("C2", "Z1"),
             item("C3", "K1"), item("C3", "K2")]
    messages = render(customers, items)
    assert [m.customer for m in messages] == ["C1", "C3"]
    assert "OLD" not in messages[0].text
    assert messages[1].invoices == ("K1",)  # the decision's list of invoices wins


def test_message_id_is_stable_and_derived_from_key_and_domain():
    first = render([customer()], standard_items())[0]
    again = render([customer()], standard_items())[0]
    other_day = render([customer()], standard_items(), run_date=RUN + dt.timedelta(days=1))[0]
    other_stage = render([customer(stage="firm")], standard_items())[0]
    assert first.message_id == again.message_id
    assert re.fullmatch(r"<[0-9a-f]{32}\.dunning@acme\.example>", first.message_id)
    assert len({first.message_id, other_day.message_id, other_stage.message_id}) == 3
    assert parsed(first)["Message-ID"] == first.message_id


def test_tone_escalates_and_final_notice_names_the_next_step_without_threats():
    texts = {stage: render([customer(stage=stage)], standard_items())[0]
             for stage in BUILT_IN_STAGES}
    assert texts["courtesy"].subject.startswith("Upcoming payment due")
    assert texts["firm"].subject.startswith("Second reminder: EUR 1,134.50 and USD 20.00")
    final = texts["final"]
    assert final.subject.startswith("Final notice")
    assert "collection agency" in final.text
    for word in ("court", "legal", "lawyer", "sue", "interest"):
        assert word not in final.text.lower()


@pytest.mark.parametrize("language", BUILT_IN_LANGUAGES)
@pytest.mark.parametrize("stage", BUILT_IN_STAGES)
def test_every_built_in_template_renders_items_total_and_opt_out(stage, language):
    [message] = render([customer(stage=stage, language=language)], standard_items())
    assert message.language == language
    for part in (message.text, message.html):
        assert "INV-1" in part and "CN-2" in part and "INV-3" in part
        assert "Opt out: C1" in part
        assert "Acme Supplies Ltd" in part
    assert money(1134.5, "EUR", language) in message.text
    assert f'<html lang="{language}">' in message.html
    assert "{{" not in message.text + message.html + message.subject


# ------------------------------------------------------------------ opt-out and headers


def test_opt_out_line_and_list_unsubscribe_share_one_mailto_naming_the_customer():
    [message] = render([customer("ACME/01 & Co")], standard_items("ACME/01 & Co"))
    received = parsed(message)
    header = received["List-Unsubscribe"]
    assert header.startswith("<mailto:ar@acme.example?") and header.endswith(">")
    url = header[1:-1]
    assert parse_qs(urlsplit(url).query)["subject"] == ["Opt out: ACME/01 & Co"]
    html = received.get_body(("html",)).get_content()
    assert f'href="{url}"' in html
    text = received.get_body(("plain",)).get_content()
    assert 'Email ar@acme.example with the subject "Opt out: ACME/01 & Co".' in text


def test_opt_out_goes_to_its_own_address_when_set():
    sender = Sender("Acme", "Jane", "ar@acme.example", opt_out_address="optout@acme.example",
                    reply_to="help@acme.example")
    [message] = render([customer()], standard_items(), sender=sender)
    received = parsed(message, sender)
    assert received["List-Unsubscribe"].startswith("<mailto:optout@acme.example?")
    assert received["Reply-To"] == "help@acme.example"


def test_template_without_opt_out_line_still_carries_it():
    templates = rows_set(["friendly", "en", "Hello", "Pay {{ total }}.", "<p>Pay.</p>"])
    [message] = render([customer()], standard_items(), templates)
    assert "Opt out: C1" in message.text
    assert 'href="mailto:ar@acme.example?subject=Opt%20out%3A%20C1"' in message.html


@pytest.mark.parametrize("address", [
    "anna@mueller.example\r\nBcc: victim@example.com", "anna@mueller.example, Bcc",
    "Anna <anna@mueller.example>", "anna@@mueller.example", "anna", "",
])
def test_unusable_address_is_refused_with_the_customer_named(address):
    with pytest.raises(DunningInputError, match="C1") as caught:
        render([customer(address=address)], standard_items())
    assert caught.value.issues[0].sheet == "Customers"


def test_sender_settings_are_checked():
    with pytest.raises(DunningInputError, match="Sender Email"):
        Sender("Acme", "Jane", "ar@acme.example\r\nBcc: v@example.com")
    with pytest.raises(DunningInputError, match="Reply To"):
        Sender("Acme", "Jane", "ar@acme.example", reply_to="not an address")
    sender = Sender("Acme", "Jane\r\nBcc: v@example.com", "ar@acme.example")
    [message] = render([customer()], standard_items(), sender=sender)
    received = parsed(message, sender)
    assert received["Bcc"] is None
    assert received["From"].addresses[0].display_name == "Jane Bcc: v@example.com"


# ------------------------------------------------------------------ subjects and failures


def test_line_breaks_in_a_template_subject_are_folded():
    templates = rows_set(["friendly", "en", "Hello\nBcc: victim@example.com", "Text", ""])
    [message] = render([customer()], standard_items(), templates)
    assert message.subject == "Hello Bcc: victim@example.com"
    assert parsed(message)["Bcc"] is None


def test_every_failing_template_is_reported_once():
    templates = rows_set(["friendly", "en", "Hi", "{{ items.append(1) }}", ""],
                         ["firm", "en", "Hi", "{{ totals.clear() }}", ""])
    customers = [customer("C1"), customer("C2", address="b@two.example"),
                 customer("C3", address="c@three.example", stage="firm")]
    with pytest.raises(DunningInputError) as caught:
        render(customers, standard_items("C1") + standard_items("C2") + standard_items("C3"),
               templates)
    assert sorted(issue.row for issue in caught.value.issues) == [2, 3]


# ------------------------------------------------------------------ template sets


def test_blank_html_is_made_from_the_text_with_a_real_table():
    templates = rows_set(["friendly", "en", "Hello",
                          "Dear {{ customer_name }},\nplease pay.\n\n{{ items_table }}\n\n"
                          "Thanks", None])
    [message] = render([customer(name="A & B")], standard_items(), templates)
    assert "<p>Dear A &amp; B,<br>\nplease pay.</p>" in message.html
    assert "<table" in message.html and "<p><table" not in message.html
    assert "<p>Thanks</p>" in message.html
    assert "A & B" in message.text


def test_template_column_in_decisions_picks_a_named_template():
    templates = rows_set(["gentle", "en", "Gentle", "Gentle text", ""]).over(
        TemplateSet.default())
    [message] = render([customer(template="gentle")], standard_items(), templates)
    assert message.subject == "Gentle" and message.stage == "friendly"
    assert message.key == "C1|friendly|2026-11-23"


def test_fields_documented_match_what_templates_receive():
    source = " ".join(f"{{{{ {name} is defined }}}}" for name in sorted(FIELDS))
    templates = rows_set(["friendly", "en", "S", source, ""])
    [message] = render([customer()], standard_items(), templates)
    assert "False" not in message.text


def test_messages_module_imports_no_workbook_mail_transport_or_excel_library():
    code = ("import sys, dunning.render.messages; print(sorted(m for m in "
            "['xlwings', 'openpyxl', 'python_calamine', 'yagmail', 'smtplib'] "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


# ------------------------------------------------------------------ the built-in letters

LAYOUTS = ("layout.html", "layout.txt")
LETTER_WORDS = {  # greeting to a contact, greeting without one, payment heading, sign-off
    "en": ("Dear Anna Müller,", "Dear Müller GmbH,", "How to pay", "Kind regards,"),
    "de": ("Guten Tag Anna Müller,", "Sehr geehrte Damen und Herren,", "Zahlungsinformationen",
           "Mit freundlichen Grüßen"),
    "fr": ("Bonjour Anna Müller,", "Madame, Monsieur,", "Modalités de paiement", "Cordialement,"),
    "nl": ("Beste Anna Müller,", "Geachte heer, mevrouw,", "Betaalgegevens",
           "Met vriendelijke groet,"),
    "es": ("Estimado/a Anna Müller:", "Estimados señores:", "Datos para el pago", "Atentamente,"),
}


def built_in_files() -> dict[str, str]:
    """Every file in the package's templates folder, by its path there ("en/firm.html")."""
    root = resources.files("dunning.render").joinpath("templates")
    files = {}
    for entry in root.iterdir():
        if entry.is_dir():
            for path in entry.iterdir():
                files[f"{entry.name}/{path.name}"] = path.read_text(encoding="utf-8")
        else:
            files[entry.name] = entry.read_text(encoding="utf-8")
    return dict(sorted(files.items()))


@pytest.mark.parametrize("language", BUILT_IN_LANGUAGES)
@pytest.mark.parametrize("stage", BUILT_IN_STAGES)
def test_every_built_in_letter_keeps_its_greeting_total_and_sign_off(stage, language):
    greeting, anonymous, heading, sign_off = LETTER_WORDS[language]
    [message] = render([customer(stage=stage, language=language)], standard_items())
    [nameless] = render([customer(stage=stage, language=language, contact="")],
                        standard_items())
    for letter, words in ((message, greeting), (nameless, anonymous)):
        assert f'color:#222222">\n<p>{words}</p>\n<p>' in letter.html
        assert letter.text.startswith(f"{words}\n\n")
    if stage != "courtesy":  # the courtesy note, before the due date, names no sum to pay
        total = format_totals({"EUR": 1134.5, "USD": 20.0}, language)
        assert f"<strong>{total}</strong>" in message.html and f" {total} " in message.text
    assert (f"<p><strong>{heading}</strong><br>\nIBAN DE89 3704 0044 0532 0130 00<br>"
            "BIC COBADEFFXXX</p>\n") in message.html
    assert re.search(rf"\n\n{re.escape(heading)}\s?:\nIBAN DE89 3704 0044 0532 0130 00\n"
                     r"BIC COBADEFFXXX\n\n", message.text)
    assert f"<p>{sign_off}<br>\nJane Smith<br>Acme Supplies Ltd</p>\n" in message.html
    assert f"\n\n{sign_off}\nJane Smith\nAcme Supplies Ltd\n\n" in message.text


# ------------------------------------------------------------------ late-payment charges

CHARGE_RUN = dt.date(2026, 3, 16)


def uk_items(customer_id="C1"):
    return [item(customer_id, "INV-7", amount=3000.0, currency="GBP", days=60,
                 due="2026-01-15", issued="2025-12-16"),
            item(customer_id, "INV-8", amount=500.0, currency="GBP", days=-4, due="2026-03-20",
                 issued="2026-02-18"),
            item(customer_id, "CN-1", amount=-100.0, currency="GBP", days=65, due="2026-01-10",
                 issued="2026-01-10")]


def charges_of(items, settings=None, as_of=CHARGE_RUN):
    return charges_for_items(pd.DataFrame(items), as_of, settings or ChargeSettings("uk"), RATES)


def flat(text):
    """Runs of spaces collapsed, so aligned table rows compare as words."""
    return re.sub(r"[ ]+", " ", text)


def built_in_without_charges() -> TemplateSet:
    """The built-in templates with their charges block cut out: the templates as they were.

    The block stands once per kind, in the layouts the letters extend; the cut set is
    built as the built-in one is, through a loader (here over the cut texts).
    """
    files = {}
    for name, source in built_in_files().items():
        cut = re.sub(r"\{% if charges %\}.*?\{% endif %\}\n", "", source, flags=re.DOTALL)
        assert (cut != source) == (name in LAYOUTS), name
        files[name] = cut
    return _built_in_from(DictLoader(files))


@pytest.mark.parametrize("language", BUILT_IN_LANGUAGES)
@pytest.mark.parametrize("stage", BUILT_IN_STAGES)
def test_without_charges_every_built_in_message_is_as_before(stage, language):
    customers = [customer(stage=stage, language=language)]
    [before] = render(customers, standard_items(), built_in_without_charges())
    [now] = render(customers, standard_items())
    [empty] = render_messages(pd.DataFrame(customers), pd.DataFrame(standard_items()),
                              TemplateSet.default(), SENDER, RUN, charges=pd.DataFrame())
    for message in (now, empty):
        assert (message.subject, message.text, message.html) == (
            before.subject, before.text, before.html)
        assert message.charges == {}


def test_uk_charges_are_shown_per_overdue_invoice_with_a_total():
    items = uk_items()
    charges = charges_of(items)
    [message] = render_messages(pd.DataFrame([customer(stage="firm")]), pd.DataFrame(items),
                                TemplateSet.default(), SENDER, CHARGE_RUN, charges=charges)
    text = flat(message.text)
    assert ("Under the Late Payment of Commercial Debts (Interest) Act 1998 we are entitled to "
            "claim statutory interest and fixed compensation on these overdue invoices.") in text
    assert ("Invoice Days overdue Rate a year Interest Compensation Total\n") in text
    assert "\nINV-7 60 11.75% GBP 57.95 GBP 70.00 GBP 127.95\n" in text
    assert "\nTotal GBP 57.95 GBP 70.00 GBP 127.95\n" in text
    # the balance overdue: 3,000 - 100 (INV-8's 500 is not yet due), plus 127.95 of charges
    assert ("Interest continues to accrue daily until payment. Including these charges, the "
            "balance would be GBP 3,027.95.") in text
    charge_table = text.split("Rate a year")[1].split("Interest continues")[0]
    assert "INV-8" not in charge_table and "CN-1" not in charge_table  # not late; a credit
    assert message.charges == {"GBP": 127.95}
    assert message.totals == {"GBP": 2900.0}  # what is overdue; INV-8 falls due soon
    assert message.due_soon == {"GBP": 500.0}
    html = message.html
    assert html.count("<table") == 3 and html.count('<table class="charges"') == 1
    charges_html = html.split('<table class="charges"')[1].split("</table>")[0]
    assert "GBP 57.95" in charges_html and "11.75%" in charges_html
    assert charges_html.count("<tr>") == 1 + 1 + 1  # head, one invoice, one total
    assert "<p>Interest continues to accrue daily" in html


@pytest.mark.parametrize("language", BUILT_IN_LANGUAGES)
@pytest.mark.parametrize("stage", BUILT_IN_STAGES)
def test_every_built_in_template_shows_charges_when_given(stage, language):
    items = uk_items()
    [message] = render_messages(pd.DataFrame([customer(stage=stage, language=language)]),
                                pd.DataFrame(items), TemplateSet.default(), SENDER,
                                CHARGE_RUN, charges=charges_of(items))
    for part in (message.text, message.html):
        assert "Late Payment of Commercial Debts (Interest) Act 1998" in part
        assert money(127.95, "GBP", language) in part
        assert money(3027.95, "GBP", language) in part
    assert '<table class="charges"' in message.html
    assert "{{" not in message.text + message.html


def test_german_message_with_eu_charges():
    items = [item(invoice="INV-1", amount=2000.0, currency="EUR", days=30, due="2025-01-31",
                  issued="2025-01-01")]
    charges = charges_of(items, ChargeSettings("eu"), as_of="2025-03-02")
    explain = rows_set(["firm", "de", "S", "{% for item in charges %}{{ item.charge_explanation }}"
                        "{% endfor %}", ""]).over(TemplateSet.default())
    customers = pd.DataFrame([customer(stage="firm", language="de")])
    [message] = render_messages(customers, pd.DataFrame(items), TemplateSet.default(), SENDER,
                                dt.date(2025, 3, 2), charges=charges)
    text = flat(message.text)
    assert ("Nach den Vorschriften zur Umsetzung der Zahlungsverzugsrichtlinie 2011/7/EU sind "
            "wir berechtigt, für diese überfälligen Rechnungen Verzugszinsen und eine Pauschale "
            "für Beitreibungskosten zu verlangen.") in text
    assert "Rechnung Tage überfällig Zinssatz p. a. Zinsen Pauschale Gesamt" in text
    assert "\nINV-1 30 11,15\u00a0% EUR 18,33 EUR 40,00 EUR 58,33\n" in text
    assert "beliefe sich der offene Saldo auf EUR 2.058,33." in text
    [explained] = render_messages(customers, pd.DataFrame(items), explain, SENDER,
                                  dt.date(2025, 3, 2), charges=charges)
    assert explained.text.startswith(
        "Rechnung INV-1: EUR 2.000,00, fällig am 2025-01-31, 30 Tage überfällig; "
        "Verzugszinsen von 11,15\u00a0% p. a. (8 Prozentpunkte über dem Referenzzinssatz von "
        "3,15\u00a0%) ergeben EUR 18,33, zuzüglich einer Pauschale für Beitreibungskosten von "
        "EUR 40,00, insgesamt EUR 58,33.\n")


def test_french_message_with_eu_charges():
    items = [item(invoice="F-12", amount=5000.0, currency="EUR", days=30, due="2026-01-31",
                  issued="2026-01-01")]
    charges = charges_of(items, ChargeSettings("eu", margin_points=10), as_of="2026-03-02")
    [message] = render_messages(pd.DataFrame([customer(stage="final", language="fr")]),
                                pd.DataFrame(items), TemplateSet.default(), SENDER,
                                dt.date(2026, 3, 2), charges=charges)
    text = flat(message.text)
    assert "directive 2011/7/UE" in text and "intérêts de retard" in text
    # 12.15% = 2.15 + 10 points (France's margin): 5000 x .1215 x 30/365 = 49.93
    assert "\nF-12 30 12,15\u202f% EUR 49,93 EUR 40,00 EUR 89,93\n" in text


def test_contract_charges_say_as_agreed_in_our_terms():
    items = [item(invoice="INV-1", amount=1000.0, currency="USD", days=30, due="2026-02-14",
                  issued="2026-01-15")]
    charges = charges_of(items, ChargeSettings("contract", contract_rate_percent=12,
                                               contract_fee=25))
    [message] = render_messages(pd.DataFrame([customer(stage="firm")]), pd.DataFrame(items),
                                TemplateSet.default(), SENDER, CHARGE_RUN, charges=charges)
    text = flat(message.text)
    assert ("As agreed in our terms, we are entitled to charge interest and a fixed fee on these "
            "overdue invoices.") in text
    assert "Invoice Days overdue Rate a year Interest Fee Total" in text
    assert "\nINV-1 30 12% USD 9.86 USD 25.00 USD 34.86\n" in text
    assert "statutory" not in text.lower()


def test_charge_explanation_and_table_are_escaped_in_html():
    invoice = "<b>A&B</b>"
    items = [item(invoice=invoice, amount=3000.0, currency="GBP", days=60, due="2026-01-15",
                  issued="2025-12-16")]
    charges = charges_of(items)
    templates = rows_set(["firm", "en", "S",
                          "{% for item in charges %}{{ item.charge_explanation }}{% endfor %}",
                          "<ul>{% for item in charges %}<li>{{ item.charge_explanation }}</li>"
                          "{% endfor %}</ul>{{ charges_table }}<p>{{ charges_basis }}</p>"])
    [message] = render_messages(pd.DataFrame([customer(stage="firm")]), pd.DataFrame(items),
                                templates, SENDER, CHARGE_RUN, charges=charges)
    sentence = ("Invoice {}: GBP 3,000.00 due on 2026-01-15, 60 days overdue; statutory "
                "interest at 11.75% a year (8 percentage points over the Bank of England "
                "reference rate of 3.75%) comes to GBP 57.95, plus fixed compensation of "
                "GBP 70.00, a total of GBP 127.95.")
    assert message.text.startswith(sentence.format(invoice))
    assert "<b>A&B</b>" not in message.html
    assert f"<li>{sentence.format('&lt;b&gt;A&amp;B&lt;/b&gt;')}</li>" in message.html
    assert ">&lt;b&gt;A&amp;B&lt;/b&gt;</td>" in message.html  # the charges table's cell


def test_custom_templates_read_the_charge_fields_with_or_without_charges():
    source = ("{% for item in items %}{{ item.invoice }}={{ item.charge_total }};{% endfor %}"
              "|{{ charges_total }}|{{ total_with_charges }}|{{ charges_totals }}")
    templates = rows_set(["firm", "en", "S", source, ""])
    items = uk_items()
    frame = pd.DataFrame([customer(stage="firm")])
    [charged] = render_messages(frame, pd.DataFrame(items), templates, SENDER, CHARGE_RUN,
                                charges=charges_of(items))
    assert charged.text.startswith(
        "INV-7=127.95;CN-1=None;|GBP 127.95|GBP 3,027.95|{'GBP': 127.95}")  # INV-8: not due
    [plain] = render_messages(frame, pd.DataFrame(items), templates, SENDER, CHARGE_RUN)
    assert plain.text.startswith("INV-7=None;CN-1=None;||GBP 2,900.00|{}")


def test_charges_are_matched_by_customer_and_invoice():
    first = [item("C1", "1001", amount=3000.0, currency="GBP", days=60, due="2026-01-15")]
    second = [item("C2", "1001", amount=3000.0, currency="GBP", days=60, due="2026-01-15")]
    charges = charges_of(second)
    customers = pd.DataFrame([customer("C1"), customer("C2", address="b@two.example")])
    one, two = render_messages(customers, pd.DataFrame(first + second), TemplateSet.default(),
                               SENDER, CHARGE_RUN, charges=charges)
    assert one.charges == {} and "Late Payment" not in one.text
    assert two.charges == {"GBP": 127.95}
    keyed_by_invoice = charges.drop(columns="customer")
    one, two = render_messages(customers, pd.DataFrame(first + second), TemplateSet.default(),
                               SENDER, CHARGE_RUN, charges=keyed_by_invoice)
    assert one.charges == two.charges == {"GBP": 127.95}


def test_text_only_template_gets_a_real_charges_table_in_html():
    templates = rows_set(["firm", "en", "S", "Dear {{ customer_name }},\n{% if charges %}\n\n"
                          "{{ charges_basis }}\n\n{{ charges_table }}\n\n{{ charges_note }}\n"
                          "{% endif %}\nThanks", None])
    items = uk_items()
    [message] = render_messages(pd.DataFrame([customer(stage="firm", name="A & B")]),
                                pd.DataFrame(items), templates, SENDER, CHARGE_RUN,
                                charges=charges_of(items))
    assert '\n<table class="charges"' in message.html
    assert "<p><table" not in message.html
    assert "<p>Under the Late Payment of Commercial Debts (Interest) Act 1998" in message.html
    assert "INV-7              60       11.75%  GBP 57.95" in message.text


# ------------------------------------------------------------ issue 14: what is owed


@pytest.mark.parametrize("language", BUILT_IN_LANGUAGES)
def test_fee_link_and_items_falling_due_soon_in_every_language(language):
    from markupsafe import escape

    from dunning.render.words import labels_for

    sender = Sender("Acme Supplies Ltd", "Jane Smith", "ar@acme.example",
                    payment_link="https://pay.example.com/{customer}/{invoice}?a={amount}")
    items = [item(invoice="INV-1", amount=300.0, days=20),
             item(invoice="INV-2", amount=99.99, days=-5, due="2026-11-28")]
    row = customer(stage="firm", language=language, stage_fee=12.5, fee_currency="EUR",
                   cc=("am@acme.example",))
    [message] = render([row], items, sender=sender)
    labels = labels_for(language)
    assert message.totals == {"EUR": 300.0} and message.due_soon == {"EUR": 99.99}
    assert message.fees == {"EUR": 12.5} and message.cc == "am@acme.example"
    assert message.invoice_links == {"INV-1": "https://pay.example.com/C1/INV-1?a=300.00",
                                     "INV-2": "https://pay.example.com/C1/INV-2?a=99.99"}
    parsed_email = parsed(message, sender)
    assert parsed_email["Cc"] == "am@acme.example"
    fee = labels.stage_fee.format(fee=money(12.5, "EUR", language))
    for part in (message.text, message.html):
        asked, heading, soon = part.partition(labels.due_soon)
        assert heading and "INV-2" in soon and "INV-2" not in asked
        assert (fee in part) or (str(escape(fee)) in part)
        assert labels.pay_online in part or str(escape(labels.pay_online)) in part
        assert "https://pay.example.com/C1/INV-1?a=300.00" in part
