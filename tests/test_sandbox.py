"""Templates: how one is chosen, the sandbox they render in, the sets and the built-in layout."""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd
import pytest
from jinja2 import DictLoader, Environment, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from dunning.core.errors import DunningInputError
from dunning.render.messages import render_messages
from dunning.render.sandbox import (
    BUILT_IN_LANGUAGES,
    BUILT_IN_STAGES,
    HTML_ENV,
    SECONDS,
    TEXT_ENV,
    RenderBudget,
    RunBudget,
    TemplateSet,
    _built_in_from,
    render_bounded,
)
from test_messages import (
    HEADER,
    LAYOUTS,
    RUN,
    SENDER,
    built_in_files,
    customer,
    item,
    parsed,
    render,
    rows_set,
    standard_items,
)

# ------------------------------------------------------------------ choosing a template


@pytest.mark.parametrize(("language", "used", "noted"), [
    ("de", "de", False), ("DE_ch", "de", False), ("fr", "fr", False), ("nl", "nl", False),
    ("es", "es", False), ("pt", "en", True), ("", "en", False),
])
def test_language_choice_and_visible_fallback(language, used, noted):
    [message] = render([customer(language=language)], standard_items())
    assert message.language == used
    assert bool(message.note) == noted
    if noted:
        assert "'pt'" in message.note and "'en'" in message.note
    assert parsed(message)["Content-Language"] == used


def test_built_in_set_covers_four_stages_in_five_languages_and_no_handoff():
    keys = TemplateSet.default().keys()
    assert keys == sorted((stage, language) for stage in BUILT_IN_STAGES
                          for language in BUILT_IN_LANGUAGES)
    with pytest.raises(DunningInputError, match="no template for stage 'handoff'"):
        render([customer(stage="handoff")], standard_items())


# ------------------------------------------------------------------ the sandbox


def test_cell_text_is_escaped_in_html_and_plain_in_text():
    script = "<script>alert(1)</script>"
    templates = rows_set(["friendly", "en", "Hi {{ customer_name }}",
                          "Dear {{ customer_name }}\n\n{{ items_table }}",
                          "<p>Dear {{ customer_name }}</p>{{ items_table }}"])
    items = [item(invoice="<b>INV</b>")]
    [message] = render([customer(name=script, contact="")], items, templates)
    assert "<script>" not in message.html and "<b>INV</b>" not in message.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in message.html
    assert "&lt;b&gt;INV&lt;/b&gt;" in message.html
    assert "Dear <script>alert(1)</script>" in message.text


def test_autoescape_covers_values_a_template_reads_itself():
    templates = rows_set(["friendly", "en", "Hi", "Text",
                          "<ul>{% for item in items %}<li>{{ item.invoice }}</li>{% endfor %}"
                          "</ul>"])
    [message] = render([customer()], [item(invoice="<img src=x onerror=alert(1)>")], templates)
    assert "<img" not in message.html
    assert "<li>&lt;img src=x onerror=alert(1)&gt;</li>" in message.html


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ customer.__len__() }}",
    "{{ items['__class__'] }}",
    "{% include 'secrets.txt' %}",
])
def test_reaching_outside_the_fields_is_refused_when_loaded(source):
    with pytest.raises(DunningInputError) as caught:
        rows_set(["friendly", "en", "Hello", "Text", ""],
                 ["firm", "de", "Hallo", source, ""])
    [issue] = caught.value.issues
    assert (issue.sheet, issue.row, issue.column, issue.column_letter) == (
        "Templates", 3, "Text", "D")
    assert "stage 'firm', language 'de'" in issue.message
    assert "Templates!D3 (Text)" in str(caught.value)


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ customer.__len__() }}",
    "{{ items['__class__'] }}",
])
def test_the_sandbox_itself_blocks_attacks_that_pass_the_load_check(source, monkeypatch):
    """The check at load time is a courtesy; the sandbox is the guard."""
    monkeypatch.setattr("dunning.render.sandbox._static_problems", lambda tree: [])
    templates = rows_set(["friendly", "fr", "Bonjour", source, ""])
    with pytest.raises(DunningInputError) as caught:
        render([customer(language="fr")], standard_items(), templates)
    issue = caught.value.issues[0]
    assert (issue.sheet, issue.row, issue.column) == ("Templates", 2, "Text")
    assert "stage 'friendly', language 'fr'" in issue.message
    assert "SecurityError" in issue.message or "outside its fields" in issue.message \
        or "undefined" in issue.message


def test_unknown_field_is_named_with_the_fields_there_are():
    with pytest.raises(DunningInputError) as caught:
        rows_set(["friendly", "en", "Hello {{ balance }}", "Text", ""])
    message = str(caught.value)
    assert "unknown field 'balance'" in message and "Templates!C2 (Subject)" in message
    assert all(name in message for name in ("customer_name", "items_table", "total"))


@pytest.mark.parametrize(("source", "expected"), [
    ("{{ items.append(1) }}", "outside its fields"),
    ("{{ totals.update({'EUR': 0}) }}", "outside its fields"),
    ("{{ ''|attr('__class__') }}", "outside its fields"),
    ("{{ 'x' * 10000000 }}", "outside its fields"),
    ("{{ items[7].invoice }}", "UndefinedError"),
    ("{{ item.invoice }}", "unknown field"),
])
def test_sandbox_blocks_at_render_time_with_stage_language_and_row(source, expected):
    try:
        templates = rows_set(["friendly", "nl", "Hallo", "Tekst", source])
    except DunningInputError as error:  # some are already refused when loaded
        assert expected in str(error) and "Templates!E2 (HTML)" in str(error)
        return
    with pytest.raises(DunningInputError) as caught:
        render([customer(language="nl")], standard_items(), templates)
    [issue] = caught.value.issues
    assert expected in issue.message
    assert "stage 'friendly', language 'nl'" in issue.message
    assert (issue.sheet, issue.row, issue.column) == ("Templates", 2, "HTML")


def test_syntax_error_names_the_row_and_line():
    with pytest.raises(DunningInputError, match=r"Templates!D2 \(Text\).*line 2"):
        rows_set(["friendly", "en", "Hello", "Dear\n{{ customer_name ", ""])


# ------------------------------------------------------------------ template sets


def test_rows_override_built_ins_per_stage_and_language():
    templates = rows_set(["Friendly ", "EN", "Custom {{ customer }}", "Custom text", ""]).over(
        TemplateSet.default())
    customers = [customer("C1"), customer("C2", address="b@two.example", language="de"),
                 customer("C3", address="c@three.example", stage="firm")]
    items = standard_items("C1") + standard_items("C2") + standard_items("C3")
    first, second, third = render(customers, items, templates)
    assert first.subject == "Custom C1" and first.template == "Templates row 2"
    assert second.subject == "Zahlungserinnerung – Acme Supplies Ltd"
    assert third.subject.startswith("Second reminder")


def test_rows_problems_are_all_reported():
    with pytest.raises(DunningInputError) as caught:
        TemplateSet.from_rows([HEADER, ["friendly", "en", "A", "B", ""],
                               ["", "en", "A", "B", ""],
                               ["firm", "english!", "A", "B", ""],
                               [None, None, None, None, None],
                               ["friendly", "EN", "A", "B", ""]])
    assert str(caught.value).splitlines() == [
        "Templates!A3 (Stage): Stage is blank; expected a stage name such as friendly",
        "Templates!B4 (Language): expected a language code such as en, de or fr-CH "
        "(found 'english!')",
        "Templates!A6 (Stage): template for stage 'friendly', language 'en': already defined "
        "by Templates!A2; keep one"]
    with pytest.raises(DunningInputError, match="missing: Text"):
        TemplateSet.from_rows([["Stage", "Language", "Subject"]])
    with pytest.raises(DunningInputError, match="subject is blank"):
        rows_set(["friendly", "en", " ", "Text", ""])


@pytest.mark.parametrize(("header_row", "first_column", "stage", "language", "subject"), [
    (1, 1, "A3", "B4", "C5"), (4, 3, "C6", "D7", "E8"), (2, 27, "AA4", "AB5", "AC6"),
])
def test_every_rows_problem_names_its_cell_where_the_table_sits(header_row, first_column,
                                                                stage, language, subject):
    with pytest.raises(DunningInputError) as caught:
        TemplateSet.from_rows([HEADER, ["friendly", "en", "A", "B", ""],
                               ["", "en", "A", "B", ""], ["firm", "english!", "A", "B", ""],
                               ["final", "de", " ", "B", ""]],
                              header_row=header_row, first_column=first_column)
    shown = [(issue.column, issue.location.split(" ")[0], issue.message[:18])
             for issue in caught.value.issues]
    assert shown == [("Stage", f"Templates!{stage}", "Stage is blank; ex"),
                     ("Language", f"Templates!{language}", "expected a languag"),
                     ("Subject", f"Templates!{subject}", "template for stage")]


def test_a_table_without_its_columns_is_named_by_its_header_row():
    with pytest.raises(DunningInputError) as caught:
        TemplateSet.from_rows([["Stage", "Language", "Subject"]], header_row=4, first_column=3)
    assert str(caught.value).startswith("Templates!C4: the Templates table needs the columns")


def test_the_stage_column_may_be_headed_template_and_is_still_named_by_its_cell():
    with pytest.raises(DunningInputError) as caught:
        TemplateSet.from_rows([["Subject", "Text", "Template"], ["Hi", "Text", ""]])
    assert str(caught.value) == (
        "Templates!C2 (Stage): Stage is blank; expected a stage name such as friendly")


def test_rows_from_a_dataframe_and_blank_language_means_english():
    frame = pd.DataFrame([["friendly", None, "S", "T", float("nan")]], columns=HEADER)
    templates = TemplateSet.from_rows(frame)
    assert templates.keys() == [("friendly", "en")]


# ------------------------------------------------------------------ the built-in letters' layout

LETTER_BLOCKS = {"greeting", "intro", "request", "payment_heading", "sign_off"}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_built_in_letter_extends_the_layout_and_only_fills_its_blocks(layout):
    files = built_in_files()
    parse = Environment(trim_blocks=True, lstrip_blocks=True).parse
    offered = {block.name for block in parse(files[layout]).find_all(nodes.Block)}
    assert offered == LETTER_BLOCKS | {"after_charges"}
    suffix = layout.removeprefix("layout")
    for language in BUILT_IN_LANGUAGES:
        for stage in BUILT_IN_STAGES:
            source = files[f"{language}/{stage}{suffix}"]
            assert source.startswith(f'{{% extends "{layout}" %}}\n'), (language, stage)
            tree = parse(source)
            assert {type(node) for node in tree.body} == {nodes.Extends, nodes.Block}
            filled = {block.name for block in tree.body if isinstance(block, nodes.Block)}
            assert filled == LETTER_BLOCKS | ({"after_charges"} if stage == "final" else set())


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_layout_skeleton_stands_once_in_the_package(layout):
    files = built_in_files()
    assert [name for name in files if name.rsplit("/", 1)[-1].startswith("layout")] == [
        *LAYOUTS]
    suffix = layout.removeprefix("layout")
    for mark in ("{{ items_table }}", "{% if charges %}", "{{ charges_table }}",
                 "{% if payment_instructions %}", "{{ payment_instructions }}",
                 "{% if sender_name %}", "{{ opt_out_line }}"):
        assert [name for name, source in files.items()
                if name.endswith(suffix) and mark in source] == [layout], mark


@pytest.mark.parametrize("source", [
    '{% include "layout.html" %}',
    '{% extends "layout.html" %}{% block greeting %}Hi{% endblock %}',
    '{% import "layout.txt" as layout %}',
    '{% from "layout.html" import greeting %}',
    '{% include "en/friendly.html" %}',
    '{% include "/etc/passwd" %}',
])
@pytest.mark.parametrize(("column", "letter"), [("Text", "D"), ("HTML", "E")])
def test_a_workbook_template_cannot_load_the_layout_or_any_file(source, column, letter):
    row = ["friendly", "en", "Hello", "Dear {{ customer_name }}", ""]
    row[HEADER.index(column)] = source
    with pytest.raises(DunningInputError) as caught:
        rows_set(row)
    [issue] = caught.value.issues
    assert (issue.sheet, issue.row, issue.column, issue.column_letter) == (
        "Templates", 2, column, letter)
    assert "which templates cannot use (each template stands alone" in issue.message
    assert "the built-in letters' layout is not available" in issue.message
    assert f"Templates!{letter}2 ({column})" in str(caught.value)


def test_a_folder_template_cannot_extend_the_layout():
    files = {"en/friendly.subject.txt": "Hello", "en/friendly.txt": "Dear {{ customer_name }}",
             "en/friendly.html": '{% extends "layout.html" %}'}
    with pytest.raises(DunningInputError) as caught:
        TemplateSet.from_texts(files, source="/home/ar/templates")
    [issue] = caught.value.issues
    assert issue.sheet == "/home/ar/templates/en/friendly.html"
    assert "uses {% extends %}" in issue.message and "stands alone" in issue.message


@pytest.mark.parametrize("source", [
    '{% include "layout.html" %}',
    '{% extends "layout.html" %}',
    '{% import "layout.html" as layout %}{{ layout }}',
])
def test_past_the_load_check_the_sandbox_still_has_nothing_to_load(source, monkeypatch):
    """The check at load time is a courtesy; the sandbox has no loader at all."""
    monkeypatch.setattr("dunning.render.sandbox._static_problems", lambda tree: [])
    templates = rows_set(["friendly", "en", "Hello", "Text", source]).over(
        TemplateSet.default())
    with pytest.raises(DunningInputError) as caught:
        render([customer()], standard_items(), templates)
    [issue] = caught.value.issues
    assert (issue.sheet, issue.row, issue.column) == ("Templates", 2, "HTML")
    assert "stage 'friendly', language 'en'" in issue.message
    assert "no loader" in issue.message


def test_the_built_in_layout_is_checked_when_loaded():
    files = built_in_files()
    broken = {**files, "layout.html": files["layout.html"].replace("{{ opt_out_line }}",
                                                                   "{{ opt_out }}")}
    with pytest.raises(DunningInputError, match="unknown field 'opt_out'") as caught:
        _built_in_from(DictLoader(broken))
    assert len(caught.value.issues) == len(BUILT_IN_LANGUAGES) * len(BUILT_IN_STAGES)
    assert all(issue.sheet.endswith(".html") for issue in caught.value.issues)
    without = {name: source for name, source in files.items() if name != "layout.txt"}
    with pytest.raises(DunningInputError,
                       match="loads 'layout.txt', which is not among the built-in templates"):
        _built_in_from(DictLoader(without))


# ------------------------------------------------------------------ bounds: time and size

LONG = "{% set s = 'x' * 100000 %}"


def bounded_issue(source, column="HTML", customers=None, items=None):
    """The one issue a template in `column` of Templates row 3 is refused with, when run."""
    row = ["friendly", "en", "Hello", "Dear {{ customer_name }}", ""]
    row[HEADER.index(column)] = source
    templates = rows_set(["firm", "en", "Hi", "Text", ""], row)
    with pytest.raises(DunningInputError) as caught:
        render(customers or [customer()], items or standard_items(), templates)
    [issue] = caught.value.issues
    letter = "CDE"[("Subject", "Text", "HTML").index(column)]
    assert (issue.sheet, issue.row, issue.column, issue.column_letter) == (
        "Templates", 3, column, letter)
    assert f"Templates!{letter}3 ({column})" in str(caught.value)
    assert "stage 'friendly', language 'en'" in issue.message
    return issue.message


@pytest.mark.parametrize(("source", "expected"), [
    ("{{ 'x'|center(300000000) }}", "asks for a width of 300,000,000 (at most 10,000)"),
    ("{{ '%0200000000d' % 1 }}", "asks for a width of 200,000,000"),
    ("{{ 'x'|indent(200000000) }}", "asks for an indent of 200,000,000"),
    ("{{ '%.200000000f' % 1.5 }}", "asks for a precision of 200,000,000"),
    ("{{ '%*d' % (300000000, 1) }}", "asks for a width of 300,000,000"),
    ("{{ '%0300000000d'|format(1) }}", "asks for a width of 300,000,000"),
    ("{{ 'x'|wordwrap(300000000) }}", "asks for a width of 300,000,000"),
    ("{{ '{:>300000000}'.format(1) }}", "asks for a width of 300,000,000"),
    ("{{ '{:{w}}'.format(1, w=300000000) }}", "asks for a width of 300,000,000"),
    ("{{ 'x'.ljust(300000000) }}", "asks for a width of 300,000,000"),
    ("{{ 'x'.zfill(300000000) }}", "asks for a width of 300,000,000"),
    ("{{ 'a\tb'.expandtabs(300000000) }}", "asks for a tab size of 300,000,000"),
    ("{{ [1, 2]|batch(300000000, 'x')|list }}", "asks for a count of 300,000,000"),
    ("{{ [1, 2]|slice(300000000, 'x')|list }}", "asks for a count of 300,000,000"),
    ("{{ items|tojson(300000000) }}", "asks for an indent of 300,000,000"),
    (LONG + "{{ s|replace('x', s) }}", "would come to more than 1,000,000 characters"),
    (LONG + "{{ s.replace('x', s) }}", "would come to more than 1,000,000 characters"),
    (LONG + "{{ s|list|join(s) }}", "would come to more than 1,000,000 characters"),
    (LONG + "{{ s.join(s|list) }}", "would come to more than 1,000,000 characters"),
    (LONG + "{{ ('{0}' * 30000).format(s)|length }}", "would come to more than 1,000,000"),
    (LONG + "{{ '%(a)s%(a)s%(a)s%(a)s%(a)s%(a)s%(a)s%(a)s%(a)s%(a)s%(a)s' % {'a': s} }}",
     "would come to more than 1,000,000 characters"),
    (LONG + "{% set l = [s, s, s, s, s, s, s, s, s, s, s] %}{{ l }}",
     "would print as more than 1,000,000 characters"),
    (LONG + "{% set t = s ~ s ~ s ~ s %}{% set t = t ~ t ~ t %}{{ t|length }}",
     "a value came to more than 1,000,000 characters"),
    (LONG + "{% set t = s + s + s + s + s + s + s + s + s + s + s %}{{ t|length }}",
     "would come to more than 1,000,000 characters"),
    (LONG + "{{ s|list|map('center', 10000)|list|length }}",
     "the template made more than 10,000,000 characters of text"),
    (LONG + "{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
     "the template's loops ran more than 1,000,000 times"),
    (LONG + "{% set b %}{% for a in s %}{% for c in s %}yy{% endfor %}{% endfor %}{% endset %}"
     "{{ b|length }}", "the template's loops ran more than 1,000,000 times"),
    ("{% set s = 'x' * 99999 %}{% for c in 'abcdefghijklmnopqrstu' %}{{ s }}{% endfor %}",
     "the template's output passed 2,000,000 characters"),
])
def test_a_template_that_would_exhaust_the_run_is_refused_naming_its_cell(source, expected):
    started = time.monotonic()
    message = bounded_issue(source)
    assert expected in message
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("column", ["Subject", "Text", "HTML"])
def test_each_part_is_bounded_and_named(column):
    assert "asks for a width of 300,000,000" in bounded_issue(
        "{{ 'x'|center(300000000) }}", column)


def test_output_past_the_limit_per_part_is_refused(monkeypatch):
    monkeypatch.setattr("dunning.render.sandbox.OUTPUT_LIMIT", 50)
    assert "the template's output passed 50 characters" in bounded_issue(
        "{% for item in items %}{{ item.invoice }} {{ '%-20s' % item.currency }}{% endfor %}")


def test_a_template_past_its_time_is_refused_once_without_spending_it_again(monkeypatch):
    monkeypatch.setattr("dunning.render.sandbox.SECONDS", 0.2)
    source = ("{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
              "{{ f(60) }}")
    customers = [customer(f"C{n}", address=f"c{n}@x.example") for n in range(10)]
    items = [row for n in range(10) for row in standard_items(f"C{n}")]
    started = time.monotonic()
    message = bounded_issue(source, "Text", customers, items)
    assert "the template did not finish within 0.2 seconds" in message
    assert time.monotonic() - started < 1.5  # ten customers, one wait


def test_a_bounded_folder_template_names_its_file():
    files = {"en/friendly.subject.txt": "Hello", "en/friendly.txt": "Dear {{ contact_name }}",
             "en/friendly.html": "{{ '%0200000000d' % 1 }}"}
    templates = TemplateSet.from_texts(files, source="/home/ar/templates")
    with pytest.raises(DunningInputError) as caught:
        render([customer()], standard_items(), templates)
    [issue] = caught.value.issues
    assert issue.sheet == "/home/ar/templates/en/friendly.html"
    assert "asks for a width of 200,000,000" in issue.message


# ------------------------------------------------------------------ bounds: the run's time


class Stopwatch:
    """A clock that moves on `step` seconds each time it is read: a template's time is then
    how often the sandbox looked at the clock, the same on every machine and every load."""

    def __init__(self, step: float = 0.0002) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


SLOW = "{% for c in customer_name * 20 %}{{ c }}{% endfor %}"
"""A template that takes its time over each message (here, on the Stopwatch) but stays well
within the bounds of one."""


def many(count, stage="friendly"):
    """`count` customers alike (names of one length: each costs the same), and their items."""
    customers = [customer(f"K{n:02d}", name=f"Customer K{n:02d}", address=f"k{n}@x.example",
                          stage=stage) for n in range(1, count + 1)]
    items = [row for one in customers for row in standard_items(one["customer"])]
    return customers, items


def rendered(customers, items, templates, budget):
    return render_messages(pd.DataFrame(customers), pd.DataFrame(items), templates, SENDER,
                           RUN, budget=budget)


def test_a_run_stops_rendering_at_its_bound_and_names_the_template_that_was_slow():
    templates = rows_set(["firm", "en", "Hi", "Dear {{ customer_name }}", ""],
                         ["friendly", "en", "Hello", SLOW, ""])
    quick_one, _ = many(1, stage="firm")
    slow, items = many(40)
    customers = quick_one + slow[1:]  # K01 gets the quick template, K02-K40 the slow one
    unbounded = RunBudget(1e9, clock=Stopwatch())
    everything = rendered(customers, items, templates, unbounded)
    assert len(everything) == 40 and unbounded.stopped is None and unbounded.left == []
    quick = unbounded.by_part[("Templates row 2", "text")]
    each = unbounded.by_part[("Templates row 3", "text")] / 39
    assert each > 10 * quick and each < SECONDS / 10  # slow, but well within one message's
    budget = RunBudget(quick * 3 + each * 4.5, clock=Stopwatch())
    messages = rendered(customers, items, templates, budget)
    assert [m.customer for m in messages] == ["K01", "K02", "K03", "K04", "K05"]
    assert messages == everything[:5]
    assert budget.left == [(m.key, m.customer, m.message_id) for m in everything[5:]]
    issue = budget.stopped
    assert (issue.sheet, issue.row, issue.column, issue.column_letter) == (
        "Templates", 3, "Text", "D")
    assert str(issue).startswith(
        "Templates!D3 (Text): template for stage 'friendly', language 'en': the run's "
        f"templates took more than {budget.seconds:g} seconds in all, "
        f"{budget.by_part[('Templates row 3', 'text')]:.1f} s of them here, so ")
    assert "35 reminder(s) (K06 to K40) were not rendered and are not sent" in str(issue)
    assert budget.why == (f"as its message was not rendered: the run's templates took more "
                          f"than {budget.seconds:g} seconds in all (Templates!D3 (Text))")
    assert budget.spent <= budget.seconds + 0.01  # no more than the bound, give or take a tick


def test_without_a_run_budget_a_run_past_the_bound_is_refused_whole(monkeypatch):
    monkeypatch.setattr("dunning.render.sandbox.RUN_SECONDS", 0.0)
    customers, items = many(3)
    templates = rows_set(["friendly", "en", "Hello", SLOW, ""])
    with pytest.raises(DunningInputError) as caught:
        render(customers, items, templates)
    [issue] = caught.value.issues
    assert str(issue).startswith("Templates!C2 (Subject): template for stage 'friendly'")
    assert "3 reminder(s) (K01 to K03) were not rendered, so nothing is sent" in str(issue)


def test_the_built_in_letters_do_not_count_against_the_runs_time():
    customers, items = many(5)
    budget = RunBudget(0.0, clock=Stopwatch())
    assert len(rendered(customers, items, TemplateSet.default(), budget)) == 5
    assert budget.stopped is None and budget.spent == 0


def test_each_message_keeps_its_own_bound_within_the_runs():
    customers, items = many(3)
    templates = rows_set(["friendly", "en", "Hello", SLOW, ""])
    budget = RunBudget(1e9, clock=Stopwatch(step=SECONDS / 100))  # a message: 5 s in 100 looks
    with pytest.raises(DunningInputError) as caught:
        rendered(customers, items, templates, budget)
    [issue] = caught.value.issues
    assert f"the template did not finish within {SECONDS:g} seconds" in str(issue)
    assert str(issue).startswith("Templates!D2 (Text)") and budget.stopped is None


def test_a_run_stopped_by_its_bound_sends_only_what_it_rendered_and_needs_a_look(
        tmp_path, monkeypatch, request, capsys):
    """End to end: the command line's dry run and send, a real workbook, yagmail and an SMTP
    server on loopback; the run's bound is small and its clock the Stopwatch."""
    pytest.importorskip("cryptography", reason="the loopback SMTP server makes its certificate "
                        "with the cryptography package (pip install '.[test]')")
    from python_calamine import CalamineWorkbook

    from dunning.app import remind
    from dunning.cli import main
    from dunning.demo import SAMPLE_AS_OF, SAMPLE_SETTINGS
    from dunning.io.client_workbook import build_workbook
    from dunning.io.xlsx import append_rows

    server = request.getfixturevalue("server")
    count, now = 12, dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.timezone.utc)
    people = pd.DataFrame({"Customer": [f"K{n:02d}" for n in range(1, count + 1)],
                           "Name": [f"Customer K{n:02d}" for n in range(1, count + 1)],
                           "Contact Email": [f"k{n}@x.example" for n in range(1, count + 1)],
                           "Language": "en", "Time Zone": "Europe/London"})
    invoices = pd.DataFrame({"Invoice No": [f"INV-{n}" for n in range(1, count + 1)],
                             "Customer": people["Customer"], "Invoice Date": "2026-10-13",
                             "Due Date": "2026-11-13", "Amount": 500.0, "Currency": "EUR"})
    book = build_workbook(tmp_path / "Client.xlsx", client="K", invoices=invoices,
                          customers=people, as_of=SAMPLE_AS_OF, settings=SAMPLE_SETTINGS)
    append_rows(book, "Templates", [{"Stage": "friendly", "Language": "en", "Subject": "Hello",
                                     "Text": SLOW + "{{ items_table }}", "HTML": ""}])
    budgets = []

    def budget(seconds):
        def made():
            budgets.append(RunBudget(seconds, clock=Stopwatch()))
            return budgets[-1]
        return made

    monkeypatch.setattr(remind, "RunBudget", budget(1e9))  # first: what one message costs
    everything = remind.preview(book, tmp_path / "all", now=now)
    assert len(everything.messages) == count and budgets[-1].stopped is None
    each = budgets[-1].spent / count
    monkeypatch.setattr(remind, "RunBudget", budget(each * 4.5))
    drafts, at = tmp_path / "drafts", ["--now", now.isoformat()]
    assert main(["remind", str(book), "--dry-run", "--drafts", str(drafts), *at]) == 0
    shown = capsys.readouterr().out
    assert "Note: Templates!D2 (Text): template for stage 'friendly', language 'en': the " \
        "run's templates took more than" in shown
    assert "8 reminder(s) (K05 to K12) were not rendered and are not sent" in shown
    assert len(list(drafts.glob("*.eml"))) == 4

    settings = server.settings()
    monkeypatch.setenv("SSL_CERT_FILE", settings.cafile)  # trust the test server's CA
    smtp = ["--smtp-host", "127.0.0.1", "--smtp-port", str(server.port), "--smtp-user",
            settings.user, "--silent"]
    assert main(["remind", str(book), *at, *smtp]) == 2  # finished; something needs a look
    out, err = capsys.readouterr()
    assert "8 not attempted, 4 sent;" in out and "Note: Templates!D2 (Text)" in out
    assert ("Warning: K05: not attempted as its message was not rendered: the run's "
            "templates took more than " in err and "(Templates!D2 (Text))" in err)
    assert sorted(m.message["X-Dunning-Key"] for m in server.messages) == [
        f"K{n:02d}|friendly|2026-11-23" for n in range(1, 5)]
    assert all(m.message["Subject"] == "Hello" for m in server.messages)
    workbook = CalamineWorkbook.from_path(str(book), load_tables=True)
    log = workbook.get_table_by_name("ContactLog")
    logged = [dict(zip(log.columns, row, strict=True)) for row in log.to_python()]
    assert sorted(row["Customer"] for row in logged if row["Outcome"] == "sent") == [
        "K01", "K02", "K03", "K04"]
    outbox = workbook.get_sheet_by_name("Outbox").to_python()
    outcomes = {row[0]: row[9] for row in outbox[1:] if row[3] == "send"}
    assert outcomes == {f"K{n:02d}": "sent" if n <= 4 else "not attempted"
                        for n in range(1, count + 1)}

    assert main(["remind", str(book), "--now", (now + dt.timedelta(hours=1)).isoformat(),
                 *smtp]) == 2  # the next run goes on with the rest, within the bound again
    capsys.readouterr()
    assert sorted(m.message["X-Dunning-Key"] for m in server.messages) == [
        f"K{n:02d}|friendly|2026-11-23" for n in range(1, 9)]


def test_loading_a_template_does_not_evaluate_its_huge_constants():
    started = time.monotonic()
    rows_set(["friendly", "en", "Hi", "{{ 'x'|center(300000000) }}{{ '%0200000000d' % 1 }}",
              "{{ 'x' * 100000 ~ 'y' }}"])
    assert time.monotonic() - started < 5


ORDINARY = (
    "{{ items|map(attribute='invoice')|join(', ') }}|{{ 'a %s b %05.1f'|format('x', 2.5) }}"
    "|{{ '%-6s|' % 'ab' }}{{ '%(n)03d' % {'n': 7} }}|{{ '{:>4}|{}'.format('a', 3) }}"
    "|{{ 'x'|center(5) }}|{{ 'a\nb'|indent(2, true) }}|{{ 'Hello world'|wordwrap(5) }}"
    "|{{ [1, 2, 3]|batch(2, 0)|list }}|{{ 'ab'.ljust(4, '.') }}|{{ '-' * 3 }}|{{ 2 ** 10 }}"
    "|{% for item in items %}{{ loop.index }}/{{ loop.length }} {% endfor %}"
    "|{{ (items|first).invoice ~ '!' ~ customer }}|{{ items|first|tojson(1) }}"
    "|{{ items|selectattr('is_credit')|map(attribute='invoice')|list }}|{{ customer * 2 }}"
    "{% set block %}<{{ customer }}>{% endset %}{{ block }}{{ block|e }}"
)


@pytest.mark.parametrize("autoescape", [False, True])
def test_ordinary_widths_and_formats_render_as_jinja_renders_them(autoescape):
    fields = {"customer": "A & B", "items": [
        {"invoice": "INV-1", "is_credit": False}, {"invoice": "CN<2>", "is_credit": True}]}
    plain = ImmutableSandboxedEnvironment(autoescape=autoescape, trim_blocks=True,
                                          lstrip_blocks=True, keep_trailing_newline=True)
    expected = plain.from_string(ORDINARY).render(fields)
    bounded = (HTML_ENV if autoescape else TEXT_ENV).from_string(ORDINARY)
    assert render_bounded(bounded, fields, RenderBudget()) == expected
    assert bounded.render(fields) == expected


def test_a_long_ordinary_template_over_many_items_stays_well_within_the_bounds():
    items = [item(invoice=f"INV-{n}", amount=10.0 + n) for n in range(3000)]  # 1.8 MB HTML
    source = ("{% for item in items %}{{ loop.index }}/{{ items|length }} "
              "{{ '%-12s' % item.invoice|upper }} {{ item.open_balance|money(item.currency) }}"
              " {{ '{:>10}'.format(item.due_date) }}\n{% endfor %}{{ items_table }}")
    templates = rows_set(["friendly", "en", "Hi", source, ""])
    started = time.monotonic()
    [message] = render([customer()], items, templates)
    assert time.monotonic() - started < 10
    assert "3000/3000 INV-2999" in message.text
