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
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

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
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from dunning.core.amounts import money, normal_language
from dunning.core.columns import normal_header
from dunning.core.errors import DunningInputError, Issue, column_letter
from dunning.render.words import FALLBACK_LANGUAGE

TEMPLATES_SHEET = "Templates"
TEMPLATE_HEADERS = ("Stage", "Language", "Subject", "Text", "HTML")
BUILT_IN_STAGES = ("courtesy", "friendly", "firm", "final")
BUILT_IN_LANGUAGES = ("en", "de", "fr", "nl", "es")
PARTS = ("subject", "text", "html")
PART_COLUMNS = {"subject": "Subject", "text": "Text", "html": "HTML"}
FILE_SUFFIXES = {"subject": ".subject.txt", "text": ".txt", "html": ".html"}

FIELDS: frozenset[str] = frozenset({
    "customer", "customer_name", "contact_name", "items", "items_table", "totals", "total",
    "company_name", "sender_name", "sender_email", "payment_instructions", "opt_out_line",
    "opt_out_address", "stage", "run_date", "language", "max_days_past_due",
    "charges", "charges_basis", "charges_table", "charges_note", "charges_totals",
    "charges_total", "total_with_charges",
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
`total_with_charges` is the open balance plus the charges, formatted (equal to `total`
when there are none)."""

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
    columns: Mapping[str, str] = field(default_factory=dict)  # part -> column letter
    files: Mapping[str, str] = field(default_factory=dict)  # part -> file name

    def issue(self, part: str, message: str) -> Issue:
        """An Issue that points at this template's cell or file for `part`."""
        where = f"template for stage {self.name!r}, language {self.language!r}"
        if self.row is not None:
            return Issue(f"{where}: {message}", sheet=self.sheet, row=self.row,
                         column=PART_COLUMNS[part], column_letter=self.columns.get(part))
        location = self.files.get(part) or self.source or None
        return Issue(f"{where} ({part}): {message}", sheet=location)



class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with no globals and a cap on string/list repetition."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > 100:
            raise SecurityError("exponent too large")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int) \
                        and times * max(len(seq), 1) > 100_000:
                    raise SecurityError("repetition too large")
        return super().call_binop(context, operator, left, right)


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

        Row numbers in errors count from `header_row`; column letters from `first_column`
        (1 = A). A blank Language means English; a blank HTML means HTML from the text.
        """
        if isinstance(rows, pd.DataFrame):
            rows = [list(rows.columns), *rows.astype(object).values.tolist()]
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
                row=header_row)])
        letters = {part: column_letter(first_column - 1 + where[column])
                   for part, column in PART_COLUMNS.items() if column in where}
        templates, issues = [], []
        for offset, row in enumerate(rows[1:], start=1):
            cells = {name: _cell(row, index) for name, index in where.items()}
            if not any(cells.values()):
                continue
            row_number = header_row + offset
            name = cells["Stage"].strip().lower()
            language = normal_language(cells.get("Language", "")) or FALLBACK_LANGUAGE
            template = Template(name, language, cells["Subject"], cells["Text"],
                                cells.get("HTML", ""), f"{sheet} row {row_number}", sheet,
                                row_number, letters)
            if not name:
                issues.append(Issue("Stage is blank; expected a stage name such as friendly",
                                    sheet=sheet, row=row_number, column="Stage"))
            elif not LANGUAGE_TAG.fullmatch(language):
                issues.append(Issue("expected a language code such as en, de or fr-CH",
                                    sheet=sheet, row=row_number, column="Language",
                                    value=cells.get("Language")))
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
            first = compiled[key].template.source or "another template"
            issues.append(Issue(
                f"stage {template.name!r}, language {template.language!r} is already "
                f"defined by {first}; keep one", sheet=template.sheet or template.source,
                row=template.row, column="Stage" if template.row is not None else None))
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
                     from_text)


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
