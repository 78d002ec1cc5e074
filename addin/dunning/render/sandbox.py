"""Templates for reminders: where they come from, how one is chosen, and the sandbox.

`TemplateSet.default()` reads the templates shipped inside the package (package data,
like code); templates in a folder of the user's are read by
`dunning.mail.drafts.read_templates`. This module opens no file.

Templates. One template is a subject, a plain-text body and an HTML body for
one stage (or template name) and one language. They come from the workbook's
Templates table (header: Stage, Language, Subject, Text, HTML), from a folder
laid out like the built-in set (`<language>/<stage>.subject.txt`,
`<stage>.txt`, `<stage>.html`), or from the built-in set (en, de, fr, nl, es;
courtesy, friendly, firm, final; hand-off sends nothing, so it has none).
A blank HTML cell means "HTML from the text": paragraphs become <p>, and the
items table becomes a real <table>. `TemplateSet.over(fallback)` layers sets.
The built-in letters share one skeleton: each `<language>/<stage>.html` and
`.txt` extends `templates/layout.html` or `layout.txt` and fills its blocks
(greeting, intro, request, after_charges, payment_heading, sign_off).

Choosing one: the customer's language exactly ("de-ch"), then its base
language ("de"), then English; in each, the first set's template wins. Using
English for a customer whose language has none is written in `Message.note`.

Templates from the workbook or a folder render in Jinja2's
`ImmutableSandboxedEnvironment` with `StrictUndefined`: a template can read its
merge fields (`FIELDS`) and nothing else. Unknown names, internal attributes and
`{% extends %}`, `{% include %}` or `{% import %}` are refused when the template
is loaded (the sandbox has no loader either, so each template stands alone);
anything the sandbox blocks at run time (private attributes, methods that modify
a list or dict) fails the render. Either way the error is a `DunningInputError`
naming the stage, the language and the Templates row (or file). Only the
built-in letters compile in a trusted environment whose loader (Jinja2's
PackageLoader over the package's templates folder, so a checkout and an installed
wheel alike) gives them their layout; they are checked against `FIELDS`, layout
included, when loaded. HTML is autoescaped in both, so cell text such as
"<script>" arrives as text.

Bounds. A workbook's or a folder's template cannot hang or exhaust the run: it renders
through `render_bounded` (`Template.generate`, its output counted chunk by chunk), per
message within `SECONDS`, `LOOP_LIMIT` loop turns and `PRODUCED_LIMIT` characters made
(output, {% set %} blocks and macros alike), and per part within `OUTPUT_LIMIT`
characters. Since one operation can make a huge string before anything is counted,
widths and counts (center, indent, wordwrap, batch, slice, tojson, str.ljust/rjust/
center/zfill/expandtabs, the widths and precisions of `%`, |format and str.format) are
capped at `WIDTH_LIMIT`, and what `*`, `+`, `~`, `%`, format, join and replace would
make, and what a list would print as, is sized before it is made (`VALUE_LIMIT`). Past
any bound the render stops with a `RenderLimitError` that says which, and
`render_messages` refuses the template naming its cell or file (and does not spend the
time again on the next customer's message). Per run, such templates may take
`RUN_SECONDS` in all (`RunBudget`, time in `render_bounded` only, charged to each part):
when it is spent, `render_messages` stops rendering and its budget names the part that
took the most time and the messages left (which are not sent). The built-in letters are
trusted, render as they always have and count against neither bound.
"""

from __future__ import annotations

import functools
import inspect
import math
import re
import time
from collections.abc import (
    Callable,
    Hashable,
    ItemsView,
    Iterable,
    KeysView,
    Mapping,
    Sequence,
    ValuesView,
)
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from string import Formatter
from typing import Any, NamedTuple

import pandas as pd
from jinja2 import (
    BaseLoader,
    Environment,
    PackageLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    meta,
    nodes,
    pass_context,
)
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from dunning.core.amounts import money, normal_language
from dunning.core.columns import normal_header
from dunning.core.errors import PLACE, DunningInputError, Issue, TablePlace, place_of
from dunning.render.words import FALLBACK_LANGUAGE

TEMPLATES_SHEET = "Templates"
TEMPLATE_HEADERS = ("Stage", "Language", "Subject", "Text", "HTML")
BUILT_IN_STAGES = ("courtesy", "friendly", "firm", "final")
BUILT_IN_LANGUAGES = ("en", "de", "fr", "nl", "es")
PARTS = ("subject", "text", "html")
PART_COLUMNS = {"subject": "Subject", "text": "Text", "html": "HTML"}
ROW_COLUMNS = {"stage": "Stage", "language": "Language", **PART_COLUMNS}
"""A Templates row's columns by the key `Template.columns` and `Template.issue` name them."""
FILE_SUFFIXES = {"subject": ".subject.txt", "text": ".txt", "html": ".html"}

FIELDS: frozenset[str] = frozenset({
    "customer", "customer_name", "contact_name", "items", "items_table", "totals", "total",
    "company_name", "sender_name", "sender_email", "payment_instructions", "opt_out_line",
    "opt_out_address", "stage", "run_date", "language", "max_days_past_due",
    "charges", "charges_basis", "charges_table", "charges_note", "charges_totals",
    "charges_total", "total_with_charges", "overdue_total", "due_soon_items", "due_soon_totals",
    "due_soon_total", "due_soon_heading", "due_soon_table", "stage_fee", "stage_fees",
    "stage_fee_text", "pay_by", "payment_link", "invoice_links", "payment_links",
})
"""Merge fields every template may use. `items` is a list of dicts (invoice, invoice_date,
due_date, amount, open_balance, days_past_due, currency, is_credit, and the charge keys
interest, compensation, charge_total, charge_rate, charge_regime, charge_explanation:
amounts, the annual rate in percent, "uk", "eu" or "contract", and one sentence in the
template's language; all None when the item carries no charge); `totals` maps currency
to the net open amount; `total` is `totals` formatted ("EUR 1,234.50 and USD 20.00");
`items_table` and `opt_out_line` are ready-made (aligned text, or an HTML <table> / link).

Late-payment charges, all empty unless `render_messages` was given charges: `charges` is
the list of the items that carry one (the same dicts as in `items`; empty is false in
`{% if charges %}`); `charges_basis` the sentence naming the legal basis; `charges_table`
the charges per invoice with a total per currency (aligned text or an HTML <table>);
`charges_note` says that interest runs on and gives the balance including the charges;
`charges_totals` maps currency to the charges; `charges_total` is that formatted;
`total_with_charges` is the open balance plus the charges and the stage fee, formatted
(equal to `total` when there are none).

Overdue and not yet due: `items`, `totals`, `total` (and `overdue_total`, the same) hold
only what is past due (credits whose date has passed net it); the items not yet due are
`due_soon_items` with `due_soon_totals`, `due_soon_total`, `due_soon_table` and the
heading `due_soon_heading` ("Also falling due soon"), all empty when there are none. A
customer with nothing past due (a courtesy reminder) has every item in `items`.
`stage_fee` is the stage's fixed fee formatted ("" when none), `stage_fees` it by currency
and `stage_fee_text` one sentence saying it is charged. `pay_by` is the pay-by date (ISO),
Pay By Days after the run date. `payment_link` is the message's link from the Payment Link
setting ("" when unset), `invoice_links` maps invoice to its own link, and
`payment_links` is both ready-made (lines of text, or HTML links)."""

LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*")


@dataclass(frozen=True)
class Template:
    """One template's sources and where they came from (for error messages)."""

    name: str
    language: str
    subject: str
    text: str
    html: str = ""
    source: str = ""  # "Templates row 4", "built-in en/friendly", a folder path
    sheet: str | None = None
    row: int | None = None
    columns: Mapping[str, str] = field(default_factory=dict)  # ROW_COLUMNS key -> letter
    files: Mapping[str, str] = field(default_factory=dict)  # part -> file name

    def issue(self, part: str, message: str) -> Issue:
        """An Issue that points at this template's cell (`part` a `ROW_COLUMNS` key: its
        column, whose letter the Templates table's place gave) or file for `part`."""
        where = f"template for stage {self.name!r}, language {self.language!r}"
        if self.row is not None:
            return Issue(f"{where}: {message}", sheet=self.sheet, row=self.row,
                         column=ROW_COLUMNS[part], column_letter=self.columns.get(part))
        location = self.files.get(part) or self.source or None
        return Issue(f"{where} ({part}): {message}", sheet=location)

    @property
    def cell(self) -> str:
        """Where the template is, as a message names it: its Stage cell ("Templates!A4"),
        else its source (a folder's path, "built-in en/friendly")."""
        if self.row is None:
            return self.source
        return Issue("", sheet=self.sheet, row=self.row,
                     column_letter=self.columns.get("stage")).location


# ------------------------------------------------------------------ bounds

OUTPUT_LIMIT = 2_000_000
"""Characters one part (subject, text or HTML) of one message may come to: well above a
letter listing a few thousand invoices (the built-in HTML for 3,000 is 1.7 million), well
below what would exhaust the run or a mail server's size limit."""
VALUE_LIMIT = 1_000_000
"""Characters one value a template makes (a string, or a list or dict as printed) may come to."""
PRODUCED_LIMIT = 10_000_000
"""Characters a template may make per message, counting what it writes into {% set %}
blocks, macros and filters as well as its output (so that nothing piles up unseen)."""
WIDTH_LIMIT = 10_000
"""The widest width, padding, precision, indent or batch size a template may ask for."""
REPEAT_LIMIT = 100_000
"""Characters (or items) a `*` repetition may come to."""
NUMBER_BITS = 100_000
"""The largest integer (in bits) `*` and `**` may make."""
LOOP_LIMIT = 1_000_000
"""Loop turns per message, all loops together."""
SECONDS = 5.0
"""Seconds one message may take to render, all its parts together."""
RUN_SECONDS = 30.0
"""Seconds the workbook's and folders' templates may take in all, over the messages of one
run (the built-in letters are not counted): a template just within the loop bound costs a
few tenths of a second a message, which over 200 customers would hold the send journal's
lock for a minute or more; an ordinary template takes about 0.1 ms a message."""


class RenderLimitError(SecurityError):
    """A template from a workbook or a folder passed one of the bounds; says which."""


class RunTimeSpent(RenderLimitError):
    """The run's time for templates (`RunBudget`) ran out while this message rendered: the
    run is over its bound, not necessarily this message."""


class Unrendered(NamedTuple):
    """A message the run did not render, its time for templates having run out: what a
    report needs to say it was not sent (its key and Message-ID are those it would have)."""

    key: str
    customer: str
    message_id: str


class RunBudget:
    """What one run's templates may still spend in all: `seconds` (default `RUN_SECONDS`)
    over its messages, each also within its own `RenderBudget`.

    Measured with `clock` (default `time.monotonic`: a stopwatch, no calendar clock), time
    spent in `render_bounded` only, charged to the part that spent it. Give one to
    `dunning.render.messages.render_messages` to have it stop rendering when the time is
    spent and say so here: `stopped` names the slowest template's cell and the bound,
    `left` the messages not rendered, in order, which the caller must not send. Without
    one, `render_messages` refuses the whole run instead.
    """

    def __init__(self, seconds: float | None = None, *,
                 clock: Callable[[], float] | None = None) -> None:
        self.seconds = RUN_SECONDS if seconds is None else float(seconds)
        self.clock = clock or time.monotonic
        self.spent = 0.0
        self.by_part: dict[Hashable, float] = {}  # (template source, part) -> seconds
        self.stopped: Issue | None = None
        self.left: list[Unrendered] = []

    def remaining(self) -> float:
        return self.seconds - self.spent

    def spend(self, where: Hashable, seconds: float) -> None:
        self.spent += seconds
        self.by_part[where] = self.by_part.get(where, 0.0) + seconds

    def slowest(self) -> Hashable | None:
        """The part (as `render_bounded` was told it) that spent the most of the run's time."""
        return max(self.by_part, key=self.by_part.__getitem__) if self.by_part else None

    def notes(self) -> list[str]:
        """What a run report says about the budget: the stop, or nothing."""
        return [] if self.stopped is None else [str(self.stopped)]

    @property
    def why(self) -> str:
        """Why a message in `left` was not sent, in a few words (a send result's error)."""
        if self.stopped is None:
            return ""
        return (f"as its message was not rendered: the run's templates took more than "
                f"{self.seconds:g} seconds in all ({self.stopped.location})")


class RenderBudget:
    """What one message's rendering may still spend: time, characters made, loop turns;
    and, given the run's `RunBudget`, no more time than the run has left.

    Read by the sandbox while a template renders through `render_bounded` (time is checked
    at every call, loop turn, operator and piece of output; the run's clock, else
    `time.monotonic`, measures it: no calendar clock is read).
    """

    def __init__(self, run: RunBudget | None = None) -> None:
        self.run = run
        self.clock = run.clock if run is not None else time.monotonic
        self.seconds = SECONDS
        started = self.clock()
        self.deadline = started + SECONDS
        self.run_first = run is not None and run.remaining() < SECONDS
        if run is not None and self.run_first:
            self.deadline = started + run.remaining()
        self.produced = 0
        self.loops = 0

    def tick(self) -> None:
        if self.clock() > self.deadline:
            if self.run_first:
                raise RunTimeSpent(f"the run's templates took more than {self.run.seconds:g} "
                                   "seconds in all")
            raise RenderLimitError(f"the template did not finish within {self.seconds:g} "
                                   "seconds")

    def spend(self, where: Hashable, seconds: float) -> None:
        """Charge time `render_bounded` spent on `where` to the run, when there is one."""
        if self.run is not None:
            self.run.spend(where, seconds)

    def produce(self, size: int) -> None:
        self.produced += size
        if self.produced > PRODUCED_LIMIT:
            raise RenderLimitError(f"the template made more than {PRODUCED_LIMIT:,} "
                                   "characters of text")
        self.tick()

    def turn(self) -> None:
        self.loops += 1
        if self.loops > LOOP_LIMIT:
            raise RenderLimitError(f"the template's loops ran more than {LOOP_LIMIT:,} times")
        self.tick()


_BUDGET: ContextVar[RenderBudget | None] = ContextVar("dunning_render_budget", default=None)


def render_bounded(template: Any, fields: Mapping[str, Any], budget: RenderBudget, *,
                   limit: int | None = None, where: Hashable = None) -> str:
    """A sandboxed template rendered through `Template.generate`, within `budget` and at most
    `limit` (default `OUTPUT_LIMIT`) characters; raises RenderLimitError past either (its
    `RunTimeSpent` when the run's time ran out). The time it took, finished or not, is
    charged to the run's budget as `where`'s."""
    limit = OUTPUT_LIMIT if limit is None else limit
    token = _BUDGET.set(budget)
    chunks, size = [], 0
    started = budget.clock()
    generated = template.generate(fields)
    try:
        for chunk in generated:
            size += len(chunk)
            if size > limit:
                raise RenderLimitError(f"the template's output passed {limit:,} characters")
            budget.tick()
            chunks.append(chunk)
    finally:
        generated.close()
        _BUDGET.reset(token)
        budget.spend(where, budget.clock() - started)
    return "".join(chunks)


def _tick() -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.tick()


def _made(value: Any) -> Any:
    """A value an operation made: a string counts against the value and message bounds."""
    if isinstance(value, str):
        if len(value) > VALUE_LIMIT:
            raise RenderLimitError(f"a value came to more than {VALUE_LIMIT:,} characters")
        budget = _BUDGET.get()
        if budget is not None:
            budget.produce(len(value))
    return value


_CONTAINERS = (list, tuple, set, frozenset, KeysView, ValuesView, ItemsView)


def _size(value: Any, limit: int = VALUE_LIMIT) -> int:
    """About how many characters `value` prints as (each shared item counted each time it
    is printed); stops counting once past `limit`."""
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, Mapping):
            total += 4 * len(item) + 2
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, _CONTAINERS):
            total += 2 * len(item) + 2
            stack.extend(item)
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        else:
            total += 24
    return total


def _printable(value: Any) -> Any:
    """A value about to be printed or joined: a list or dict that would print as more than
    VALUE_LIMIT characters is refused before it is turned into text."""
    if isinstance(value, (Mapping, *_CONTAINERS)) and _size(value) > VALUE_LIMIT:
        raise RenderLimitError(f"a value would print as more than {VALUE_LIMIT:,} characters")
    return value


def _expect(size: int) -> None:
    if size > VALUE_LIMIT:
        raise RenderLimitError(f"a value would come to more than {VALUE_LIMIT:,} characters")


def _width(width: Any, what: str = "a width") -> int:
    """A width, padding, precision or count from a template, refused past WIDTH_LIMIT."""
    if isinstance(width, str):
        width = len(width)
    if isinstance(width, int | float) and width > WIDTH_LIMIT:
        raise RenderLimitError(f"asks for {what} of {int(width):,} (at most {WIDTH_LIMIT:,})")
    return int(width) if isinstance(width, int | float) else 0


_PERCENT = re.compile(r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?P<width>\*|\d+)?"
                      r"(?:\.(?P<precision>\*|\d+))?[hlL]?(?P<kind>[a-zA-Z%])")


def _percent_size(template: str, values: Any) -> int:
    """About how long `template % values` comes to; widths and precisions checked."""
    positional = list(values) if isinstance(values, tuple) else [values]
    stars = [value for value in positional if isinstance(value, int)]
    total, index = len(template), 0
    for match in _PERCENT.finditer(template):
        if match["kind"] == "%":
            continue
        size = 0
        for part in ("width", "precision"):
            if match[part] == "*":
                size = max(size, *(_width(star) for star in stars), 0)
                index += 1
            elif match[part]:
                size = max(size, _width(int(match[part]), f"a {part}"))
        if match["key"] is not None:
            value = values.get(match["key"]) if isinstance(values, Mapping) else None
        else:
            value = positional[index] if index < len(positional) else None
            index += 1
        total += max(size, _size(_printable(value)))
    return total


_FORMAT_FIELD = re.compile(r"^(?P<first>[^.\[]*)")


def _format_size(template: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> int:
    """About how long `template.format(*args, **kwargs)` comes to; widths checked."""
    try:
        fields = list(Formatter().parse(template))
    except ValueError:
        return len(template)  # format() itself will say what is wrong
    total, automatic = len(template), 0
    for _literal, name, spec, _conversion in fields:
        if name is None:
            continue
        size = 0
        if spec and "{" in spec:  # a nested width: every number given may be one
            for value in (*args, *kwargs.values()):
                if isinstance(value, int):
                    size = max(size, _width(value))
        for number in re.findall(r"\d+", spec or ""):
            size = max(size, _width(int(number)))
        first = _FORMAT_FIELD.match(name)["first"]
        if first == "":
            value = args[automatic] if automatic < len(args) else None
            automatic += 1
        elif first.isdigit():
            value = args[int(first)] if int(first) < len(args) else None
        else:
            value = kwargs.get(first)
        total += max(size, _size(_printable(value)))
    return total


def _joined_size(items: list[Any], separator: Any) -> int:
    return sum(_size(_printable(item)) for item in items) + \
        len(str(separator)) * max(len(items) - 1, 0)


def _replaced_size(text: Any, old: Any, new: Any, count: Any = None) -> int:
    text, old, new = str(_printable(text)), str(old), str(new)
    times = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    return len(text) + times * max(len(new) - len(old), 0)


def _materialized(items: Any) -> list[Any]:
    """An iterable as a list, each item counted, so a join's size is known before it runs."""
    if isinstance(items, list):
        return items
    listed, size = [], 0
    for item in items:
        size += _size(_printable(item))
        _expect(size)
        listed.append(item)
    return listed


def _check_str_method(text: str, name: str, args: tuple[Any, ...],
                      kwargs: Mapping[str, Any]) -> tuple[Any, ...]:
    """Width-style string methods checked before they run; the arguments to call with."""
    first = args[0] if args else None
    if name in ("center", "ljust", "rjust", "zfill"):
        _width(first)
    elif name == "expandtabs":
        tab = _width(kwargs.get("tabsize", 8 if first is None else first), "a tab size")
        _expect(len(text) + text.count("\t") * tab)
    elif name == "replace" and len(args) >= 2:
        _expect(_replaced_size(text, args[0], args[1], args[2] if len(args) > 2 else
                               kwargs.get("count")))
    elif name == "join" and args:
        listed = _materialized(first)
        _expect(_joined_size(listed, text))
        return (listed, *args[1:])
    elif name in ("format", "format_map"):
        mapping = first if name == "format_map" and isinstance(first, Mapping) else kwargs
        _expect(_format_size(text, args if name == "format" else (), mapping))
    return args


def _filter_checks(name: str, arguments: Mapping[str, Any]) -> None:
    """Width-style filters checked, on their bound arguments, before they run."""
    value = next((arguments[key] for key in ("value", "s", "seq") if key in arguments), None)
    if name == "center":
        _width(arguments.get("width", 80))
        _printable(value)
    elif name == "indent":
        width = _width(arguments.get("width", 4), "an indent")
        text = str(_printable(value))
        _expect(len(text) + (text.count("\n") + 1) * width)
    elif name == "wordwrap":
        width = max(_width(arguments.get("width", 79)), 1)
        text = str(_printable(value))
        wrap = arguments.get("wrapstring")
        _expect(len(text) + (len(text) // width + 1) * len(str(wrap or "\n")))
    elif name == "format":
        args, kwargs = arguments.get("args", ()), arguments.get("kwargs", {})
        _expect(_percent_size(str(value), kwargs if kwargs else tuple(args)))
    elif name == "replace":
        _expect(_replaced_size(value, arguments.get("old", ""), arguments.get("new", ""),
                               arguments.get("count")))
    elif name in ("batch", "slice"):
        count = _width(arguments.get("linecount", arguments.get("slices", 1)), "a count")
        _expect(count * _size(arguments.get("fill_with")))
    elif name == "tojson":
        indent = _width(arguments.get("indent") or 0, "an indent")
        _expect(_size(_printable(value)) * (1 + indent))
    elif name == "urlize":
        for key in ("target", "rel"):
            _width(arguments.get(key) or "", f"a {key}")
        _printable(value)
    elif name == "truncate":
        _width(arguments.get("end", ""), "an ending")
        _printable(value)
    elif name in _STRINGIFYING:
        _printable(value)


_STRINGIFYING = frozenset({
    "string", "pprint", "e", "escape", "forceescape", "safe", "striptags", "title", "upper",
    "lower", "capitalize", "trim", "urlencode", "wordcount", "xmlattr",
})
"""Filters that turn their value into text: a list or dict is sized first. (Other filters,
such as length or map, read a list without printing it, and are not slowed down.)"""


def _bounded_filter(name: str, function: Any) -> Any:
    """A filter that checks its arguments first and counts what it makes."""
    signature = inspect.signature(function)
    passed = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0
    parameters = list(signature.parameters.values())
    if passed and parameters and parameters[0].name in ("context", "eval_ctx", "environment",
                                                        "env"):
        signature = signature.replace(parameters=parameters[1:])  # as the filter is called

    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        try:
            bound = signature.bind(*args[passed:], **kwargs)
        except TypeError:
            bound = None  # the filter itself will say what is wrong
        if bound is not None:
            if name == "join":
                listed = bound.arguments.get("value")
                if listed is not None and not isinstance(listed, str):
                    bound.arguments["value"] = listed = _materialized(listed)
                    _expect(_joined_size(listed, bound.arguments.get("d", "")))
                args, kwargs = (*args[:passed], *bound.args), bound.kwargs
            else:
                _filter_checks(name, bound.arguments)
        return _made(function(*args, **kwargs))

    return bounded


def _bounded_loop(iterable: Any) -> Any:
    """Every loop's iterable: each turn counted against the message's budget."""
    budget = _BUDGET.get()
    if budget is None:
        yield from iterable
        return
    for item in iterable:
        budget.turn()
        yield item


LOOP_FILTER = "dunning bounded loop"  # not a name a template can write


class _BoundedCodeGenerator(CodeGenerator):
    """Compiles sandboxed templates so that every piece of output, whether it goes out or
    into a {% set %} block or a macro, is counted, and a list is sized before it prints."""

    def _output_const_repr(self, group: Iterable[Any]) -> str:
        return f"environment.dunning_output({super()._output_const_repr(group)})"

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        self.write("environment.dunning_output(")
        super()._output_child_pre(node, frame, finalize)
        self.write("environment.dunning_printable(")

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        self.write(")")
        super()._output_child_post(node, frame, finalize)
        self.write(")")

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.dunning_made(")
        if frame.eval_ctx.volatile:
            self.write("(markup_join if context.eval_ctx.volatile else str_join)((")
        elif frame.eval_ctx.autoescape:
            self.write("markup_join((")
        else:
            self.write("str_join((")
        for argument in node.nodes:
            self.write("environment.dunning_printable(")
            self.visit(argument, frame)
            self.write("), ")
        self.write(")))")


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with no globals, and bounded: widths, repetition and numbers
    are capped before an operation runs, and time, loops and text per message while
    rendering through `render_bounded`."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: _bounded_filter(name, function)
                        for name, function in self.filters.items()}
        self.filters[LOOP_FILTER] = _bounded_loop

    @staticmethod
    def dunning_output(value: Any) -> Any:
        budget = _BUDGET.get()
        if budget is not None:
            budget.produce(len(value))
        return value

    dunning_printable = staticmethod(_printable)
    dunning_made = staticmethod(_made)

    def _generate(self, source: nodes.Template, name: str | None, filename: str | None,
                  defer_init: bool = False) -> str:
        for loop in source.find_all(nodes.For):
            if not (isinstance(loop.iter, nodes.Filter) and loop.iter.name == LOOP_FILTER):
                loop.iter = nodes.Filter(loop.iter, LOOP_FILTER, [], [], None, None,
                                         lineno=loop.iter.lineno)
        return super()._generate(source, name, filename, defer_init)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _tick()
        target = getattr(__obj, "__wrapped__", __obj)
        owner = getattr(target, "__self__", None)
        if isinstance(owner, str):
            args = _check_str_method(owner, getattr(target, "__name__", ""), args, kwargs)
        return _made(super().call(__context, __obj, *args, **kwargs))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _tick()
        if operator == "**" and isinstance(right, int | float) and abs(right) > 100:
            raise SecurityError("exponent too large")
        if operator == "**" and isinstance(left, int) and isinstance(right, int) \
                and left.bit_length() * abs(right) > NUMBER_BITS:
            raise SecurityError("exponent too large")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int) \
                        and times * max(_size(seq, REPEAT_LIMIT) - 2, 1) > REPEAT_LIMIT:
                    raise SecurityError("repetition too large")
            if isinstance(left, int) and isinstance(right, int) \
                    and left.bit_length() + right.bit_length() > NUMBER_BITS:
                raise SecurityError("number too large")
        if operator == "+" and isinstance(left, str | list | tuple) \
                and isinstance(right, str | list | tuple):
            _expect(_size(left) + _size(right))
        if operator == "%" and isinstance(left, str):
            _expect(_percent_size(left, right))
        return _made(super().call_binop(context, operator, left, right))


@pass_context
def _money_filter(context: Any, amount: float | None, currency: str = "") -> str:
    return money(amount, currency, context.get("language", FALLBACK_LANGUAGE))


_SETTINGS: Mapping[str, Any] = {"undefined": StrictUndefined, "trim_blocks": True,
                                 "lstrip_blocks": True, "keep_trailing_newline": True}


def _configured(environment: Environment) -> Environment:
    environment.globals.clear()  # no range, cycler, joiner, lipsum, dict, namespace
    environment.filters["money"] = _money_filter
    return environment


def _environment(autoescape: bool) -> Environment:
    """The sandbox for templates from a workbook or a folder: no loader, so nothing to load."""
    return _configured(_Sandbox(autoescape=autoescape, **_SETTINGS))


def _trusted_environment(loader: BaseLoader, autoescape: bool) -> Environment:
    """The built-in letters' environment: the sandbox's settings, plus their own loader.

    Only the package's templates compile here, so that they can extend the layouts
    shipped beside them (templates/layout.html, layout.txt); nothing a user wrote does.
    """
    return _configured(Environment(loader=loader, autoescape=autoescape, auto_reload=False,
                                   **_SETTINGS))


TEXT_ENV = _environment(autoescape=False)
HTML_ENV = _environment(autoescape=True)


@dataclass(frozen=True)
class _Environments:
    """Where a set's templates compile: subject and text in `text`, HTML in `html`."""

    text: Environment
    html: Environment
    trusted: bool = False  # the built-in letters, which may extend their loader's layouts


_SANDBOXED = _Environments(TEXT_ENV, HTML_ENV)


# ------------------------------------------------------------------ templates


@dataclass(frozen=True)
class Compiled:
    template: Template
    subject: Any
    text: Any
    html: Any  # from the HTML source, or from the text source when HTML is blank
    html_from_text: bool
    bounded: bool = True  # sandboxed: render through `render_bounded`; False: a built-in letter


class TemplateSet:
    """Templates per (name, language), compiled and checked when loaded."""

    def __init__(self, templates: Iterable[Template] = ()) -> None:
        self._compiled = _compile_all(templates, _SANDBOXED)

    # -- building

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[object]] | pd.DataFrame, *,
                  sheet: str = TEMPLATES_SHEET, header_row: int = 1,
                  first_column: int = 1) -> TemplateSet:
        """From the Templates table: header (Stage, Language, Subject, Text, HTML), then rows.

        Every problem names its cell as the sheet shows it ("Templates!A5 (Stage)"): rows
        count from `header_row`, column letters from `first_column` (1 = A); a frame read
        from a workbook carries where its table sits (a `TablePlace`), which places them.
        A blank Language means English; a blank HTML means HTML from the text.
        """
        place = TablePlace(sheet, header_row, first_column)
        if isinstance(rows, pd.DataFrame):
            place = place_of(rows, sheet) if PLACE in rows.attrs else place
            rows = [list(rows.columns), *rows.astype(object).values.tolist()]
        sheet = place.sheet
        if not rows:
            return cls()
        header = [normal_header(str(cell or "")) for cell in rows[0]]
        where = {name: header.index(normal_header(name))
                 for name in (*TEMPLATE_HEADERS, "Template") if normal_header(name) in header}
        if "Stage" not in where and "Template" in where:
            where["Stage"] = where["Template"]
        missing = [name for name in ("Stage", "Subject", "Text") if name not in where]
        if missing:
            raise DunningInputError([Issue(
                f"the Templates table needs the columns {', '.join(TEMPLATE_HEADERS)} "
                f"(HTML may be blank); missing: {', '.join(missing)}", sheet=sheet,
                row=place.header_row, column_letter=place.letter(0))])
        named: list[object] = list(header)  # each column by its TEMPLATE_HEADERS name
        for name in TEMPLATE_HEADERS:
            if name in where:
                named[where[name]] = name
        letters = {key: letter for key, column in ROW_COLUMNS.items() if column in where
                   and (letter := place.letter(where[column])) is not None}
        templates, issues = [], []
        for position, row in enumerate(rows[1:]):
            cells = {name: _cell(row, index) for name, index in where.items()}
            if not any(cells.values()):
                continue
            row_number = place.row(position)
            name = cells["Stage"].strip().lower()
            language = normal_language(cells.get("Language", "")) or FALLBACK_LANGUAGE
            template = Template(name, language, cells["Subject"], cells["Text"],
                                cells.get("HTML", ""), f"{sheet} row {row_number}", sheet,
                                row_number, letters)
            if not name:
                issues.append(place.cell_issue(
                    "Stage is blank; expected a stage name such as friendly",
                    position=position, header="Stage", headers=named))
            elif not LANGUAGE_TAG.fullmatch(language):
                issues.append(place.cell_issue(
                    "expected a language code such as en, de or fr-CH", position=position,
                    header="Language", headers=named, value=cells.get("Language")))
            else:
                templates.append(template)
        try:
            loaded = cls(templates)
        except DunningInputError as error:
            issues += error.issues
        if issues:
            raise DunningInputError(sorted(issues, key=lambda issue: issue.row or 0))
        return loaded

    @classmethod
    def from_texts(cls, files: Mapping[str, str], *, source: str = "") -> TemplateSet:
        """From file texts keyed "<language>/<name>.subject.txt", ".txt" and ".html".

        Each template needs a subject and a text file; the HTML file is optional.
        Names that fit none of these patterns are ignored.
        """
        return cls(_templates_from_texts(files, source))

    @classmethod
    def default(cls) -> TemplateSet:
        """The built-in templates shipped in dunning/templates (en, de, fr, nl, es)."""
        return _built_in()

    def over(self, fallback: TemplateSet) -> TemplateSet:
        """This set, with `fallback`'s templates for the (name, language) pairs it lacks."""
        layered = TemplateSet()
        layered._compiled = {**fallback._compiled, **self._compiled}
        return layered

    # -- looking up

    def __len__(self) -> int:
        return len(self._compiled)

    def keys(self) -> list[tuple[str, str]]:
        """(name, language) pairs, sorted."""
        return sorted(self._compiled)

    def template(self, name: str, language: str) -> Template:
        return self._compiled[(name, language)].template

    def by_source(self, source: str) -> Template | None:
        """The template that came from `source` ("Templates row 4", a folder's path)."""
        return next((compiled.template for compiled in self._compiled.values()
                     if source and compiled.template.source == source), None)

    def find(self, name: str, language: str) -> tuple[Compiled | None, str]:
        """The template for `name` in `language` (exact, base, then English) and a note."""
        wanted = normal_language(language)
        base = wanted.split("-")[0]
        tried = list(dict.fromkeys(c for c in (wanted, base, FALLBACK_LANGUAGE) if c))
        for candidate in tried:
            found = self._compiled.get((name, candidate))
            if found is not None:
                used_base = candidate.split("-")[0]
                note = "" if not wanted or used_base == base else (
                    f"no {wanted!r} template for stage {name!r}; used {candidate!r}")
                return found, note
        return None, (f"no template for stage {name!r} (languages tried: {', '.join(tried)}); "
                      "add a row to the Templates table or a file to the template folder")


def _compile_all(templates: Iterable[Template],
                 environments: _Environments) -> dict[tuple[str, str], Compiled]:
    """Each template compiled in `environments`, keyed (name, language); raises on problems."""
    compiled: dict[tuple[str, str], Compiled] = {}
    issues: list[Issue] = []
    for template in templates:
        key = (template.name, template.language)
        if key in compiled:
            first = compiled[key].template.cell or "another template"
            issues.append(template.issue("stage", f"already defined by {first}; keep one"))
            continue
        done = _compile(template, issues, environments)
        if done is not None:
            compiled[key] = done
    if issues:
        raise DunningInputError(issues)
    return compiled


def _templates_from_texts(files: Mapping[str, str], source: str) -> list[Template]:
    """`TemplateSet.from_texts`'s templates, not yet compiled; raises for missing parts."""
    found: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
    for path, content in files.items():
        parsed = _template_file(path)
        if parsed:
            language, name, part = parsed
            found.setdefault((name, language), {})[part] = (path, content)
    templates, issues = [], []
    for (name, language), parts in sorted(found.items()):
        paths = {part: _joined(source, path) for part, (path, _text) in parts.items()}
        template = Template(name, language, *(
            _newlines(parts.get(part, ("", ""))[1]) for part in PARTS),
            source=f"{source or 'templates'}/{language}/{name}", files=paths)
        absent = [FILE_SUFFIXES[part] for part in ("subject", "text") if part not in parts]
        if absent:
            issues.append(template.issue(
                "subject", f"missing {' and '.join(name + suffix for suffix in absent)}"))
        else:
            templates.append(template)
    if issues:
        raise DunningInputError(issues)
    return templates


def _cell(row: Sequence[object], index: int) -> str:
    value = row[index] if index < len(row) else None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return _newlines(str(value))


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _joined(source: str, path: str) -> str:
    return f"{source.rstrip('/')}/{path}" if source else path


def _template_file(path: str) -> tuple[str, str, str] | None:
    """'de/firm.subject.txt' -> ('de', 'firm', 'subject'); None for other names."""
    parts = path.replace("\\", "/").split("/")
    if len(parts) != 2:
        return None
    language, filename = normal_language(parts[0]), parts[1]
    if not LANGUAGE_TAG.fullmatch(language):
        return None
    for part in ("subject", "text", "html"):  # .subject.txt before .txt
        suffix = FILE_SUFFIXES[part]
        if filename.lower().endswith(suffix) and len(filename) > len(suffix):
            return language, filename[: -len(suffix)].strip().lower(), part
    return None


@lru_cache(maxsize=1)
def _built_in() -> TemplateSet:
    """The package's templates folder, read through Jinja2's PackageLoader (a checkout, an
    installed wheel or a zip alike)."""
    return _built_in_from(PackageLoader("dunning.render", "templates"))


def _built_in_from(loader: BaseLoader) -> TemplateSet:
    """The letters `loader` holds (<language>/<stage>.subject.txt, .txt, .html), compiled in
    environments with that loader, so that they can extend the layouts it holds too.

    Trusted: for the package's own templates only. A workbook's or a folder's templates go
    through `TemplateSet(...)`, `from_rows` or `from_texts`: the sandbox, with no loader.
    """
    environments = _Environments(_trusted_environment(loader, autoescape=False),
                                 _trusted_environment(loader, autoescape=True), trusted=True)
    files = {name: loader.get_source(environments.text, name)[0]
             for name in loader.list_templates() if _template_file(name)}
    built = TemplateSet()
    built._compiled = _compile_all(_templates_from_texts(files, "built-in"), environments)
    return built


def _compile(template: Template, issues: list[Issue],
             environments: _Environments) -> Compiled | None:
    """Parse, check against FIELDS and compile each part; problems go to `issues`."""
    html_source = template.html if template.html.strip() else template.text
    sources = {"subject": (environments.text, template.subject),
               "text": (environments.text, template.text),
               "html": (environments.html, html_source)}
    if not template.subject.strip():
        issues.append(template.issue("subject", "the subject is blank"))
    if not template.text.strip():
        issues.append(template.issue("text", "the text is blank"))
    compiled = {}
    from_text = not template.html.strip()
    for part, (environment, source) in sources.items():
        if part == "html" and from_text and "text" not in compiled:
            continue  # the text's problem is already reported once
        shown_part = "text" if part == "html" and from_text else part
        try:
            tree = environment.parse(source)
        except Exception as error:  # TemplateSyntaxError: say where, keep going
            line = getattr(error, "lineno", None)
            issues.append(template.issue(
                shown_part, f"is not a valid template (line {line}): {error}"))
            continue
        problems = (_trusted_problems(environment, tree) if environments.trusted
                    else _static_problems(tree))
        if problems:
            issues.append(template.issue(shown_part, "; ".join(problems)))
            continue
        compiled[part] = environment.from_string(tree)
    if len(compiled) != len(PARTS):
        return None
    return Compiled(template, compiled["subject"], compiled["text"], compiled["html"],
                    from_text, bounded=not environments.trusted)


def _static_problems(tree: nodes.Template) -> list[str]:
    """Unknown fields, internal attributes and loading other templates, before anything runs."""
    problems = _field_problems(tree)
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        problems.append(f"uses {{% {type(node).__name__.lower()} %}}, which templates "
                        "cannot use (each template stands alone: write the whole message; "
                        "the built-in letters' layout is not available to other templates)")
        break
    return problems


def _trusted_problems(environment: Environment, tree: nodes.Template) -> list[str]:
    """A built-in letter's checks: its fields, and those of the layouts it extends."""
    problems: list[str] = []
    trees, seen = [tree], set()
    for checked in trees:  # grows as layouts are found
        for name in meta.find_referenced_templates(checked):
            if name is None:
                problems.append("loads a template named by an expression; name it by a string")
            elif name not in seen:
                seen.add(name)
                try:
                    source = environment.loader.get_source(environment, name)[0]
                    trees.append(environment.parse(source, name))
                except TemplateNotFound:
                    problems.append(f"loads {name!r}, which is not among the built-in templates")
                except TemplateSyntaxError as error:
                    problems.append(f"loads {name!r}, which is not a valid template "
                                    f"(line {error.lineno}): {error}")
    return problems + [problem for checked in trees for problem in _field_problems(checked)]


def _field_problems(tree: nodes.Template) -> list[str]:
    """Unknown fields and internal attributes."""
    problems = []
    unknown = sorted(meta.find_undeclared_variables(tree) - FIELDS)
    if unknown:
        problems.append(f"unknown field{'s' if len(unknown) > 1 else ''} "
                        f"{', '.join(repr(name) for name in unknown)} "
                        f"(fields: {', '.join(sorted(FIELDS))})")
    internal = sorted({node.attr for node in tree.find_all(nodes.Getattr)
                       if node.attr.startswith("_")}
                      | {node.arg.value for node in tree.find_all(nodes.Getitem)
                         if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str)
                         and node.arg.value.startswith("_")})
    if internal:
        problems.append(f"uses internal attribute{'s' if len(internal) > 1 else ''} "
                        f"{', '.join(repr(name) for name in internal)}, which templates "
                        "cannot reach")
    return problems
