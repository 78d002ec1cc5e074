"""The items and the late-payment charges as tables, in the template's language.

Each as aligned plain-text columns, or as an HTML <table> with inline styles (mail
clients drop <style>) and every cell escaped; one total line per currency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from dunning.core.amounts import money
from dunning.render.headers import one_line
from dunning.render.numbers import percent
from dunning.render.words import Labels, charge_labels_for, labels_for

# ------------------------------------------------------------------ items tables


def _item_cells(item: Mapping[str, Any], labels: Labels, language: str) -> list[str]:
    days = item["days_past_due"]
    overdue = str(days) if days > 0 else ""
    note = labels.credit if item["is_credit"] else overdue
    return [one_line(item["invoice"]), item["invoice_date"], item["due_date"],
            money(item["amount"], item["currency"], language),
            money(item["open_balance"], item["currency"], language), note]


_RIGHT = (False, False, False, True, True, True)


def items_text_table(items: Sequence[Mapping[str, Any]], totals: Mapping[str, float],
                     language: str = "en") -> str:
    """The items as aligned plain-text columns, with one total line per currency."""
    labels = labels_for(language)
    header = [labels.invoice, labels.invoice_date, labels.due_date, labels.amount,
              labels.open_balance, labels.days_overdue]
    rows = [_item_cells(item, labels, language) for item in items]
    total_rows = [[labels.total, "", "", "", money(amount, currency, language), ""]
                  for currency, amount in totals.items()]
    widths = [max(len(row[i]) for row in (header, *rows, *total_rows)) for i in range(6)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.rjust(width) if right else cell.ljust(width)
                         for cell, width, right in zip(cells, widths, _RIGHT, strict=True))

    rule = "  ".join("-" * width for width in widths)
    body = [line(header), rule, *(line(row) for row in rows), rule,
            *(line(row) for row in total_rows)]
    return "\n".join(text.rstrip() for text in body)


_CELL = "padding:4px 10px;border-bottom:1px solid #dddddd;"
_OPENING = {
    (tag, bold): [f'<{tag} style="{_CELL}{"font-weight:bold;" if bold else ""}'
                  f'text-align:{"right" if right else "left"}">' for right in _RIGHT]
    for tag in ("th", "td") for bold in (False, True)
}


def items_html_table(items: Sequence[Mapping[str, Any]], totals: Mapping[str, float],
                     language: str = "en") -> Markup:
    """The items as an HTML <table> (inline styles, as mail clients drop <style>), escaped."""
    labels = labels_for(language)
    header = [labels.invoice, labels.invoice_date, labels.due_date, labels.amount,
              labels.open_balance, labels.days_overdue]

    def cells(values: Sequence[str], tag: str, bold: bool = False) -> str:
        opening = _OPENING[(tag, bold)]
        return "".join(f"{start}{escape(value)}</{tag}>"
                       for start, value in zip(opening, values, strict=True))

    parts = ['<table class="items" cellpadding="0" cellspacing="0" '
             'style="border-collapse:collapse;margin:12px 0">',
             f"<thead><tr>{cells(header, 'th', bold=True)}</tr></thead>", "<tbody>"]
    parts += [f"<tr>{cells(_item_cells(item, labels, language), 'td')}</tr>" for item in items]
    parts.append("</tbody><tfoot>")
    for currency, amount in totals.items():
        total = [labels.total, "", "", "", money(amount, currency, language), ""]
        parts.append(f"<tr>{cells(total, 'td', bold=True)}</tr>")
    parts.append("</tfoot></table>")
    return Markup("".join(parts))


# ------------------------------------------------------------------ charges tables


def regime_of(item: Mapping[str, Any]) -> str:
    regime = str(item.get("charge_regime") or "")
    return regime if regime in ("uk", "eu", "contract") else "contract"


def _charge_header(charged: Sequence[Mapping[str, Any]], language: str) -> list[str]:
    labels, words = labels_for(language), charge_labels_for(language)
    fees_only = all(regime_of(item) == "contract" for item in charged)
    return [labels.invoice, labels.days_overdue, words.rate, words.interest,
            words.fee if fees_only else words.compensation, labels.total]


def _charge_cells(item: Mapping[str, Any], language: str) -> list[str]:
    currency = item["currency"]
    return [one_line(item["invoice"]), str(item["days_past_due"]),
            percent(item["charge_rate"], language),
            money(item["interest"], currency, language),
            money(item["compensation"], currency, language),
            money(item["charge_total"], currency, language)]


def _charge_total_rows(charged: Sequence[Mapping[str, Any]], language: str) -> list[list[str]]:
    sums: dict[str, list[float]] = {}
    for item in charged:
        parts = sums.setdefault(item["currency"], [0.0, 0.0, 0.0])
        for index, name in enumerate(("interest", "compensation", "charge_total")):
            parts[index] += item[name]
    label = labels_for(language).total
    return [[label, "", "", *(money(round(value, 2) + 0.0, currency, language)
                              for value in parts)]
            for currency, parts in sorted(sums.items())]


_CHARGE_RIGHT = (False, True, True, True, True, True)


def charges_text_table(charged: Sequence[Mapping[str, Any]], language: str = "en") -> str:
    """The charges per invoice as aligned plain-text columns, with a total line per currency."""
    header = _charge_header(charged, language)
    rows = [_charge_cells(item, language) for item in charged]
    totals = _charge_total_rows(charged, language)
    widths = [max(len(row[i]) for row in (header, *rows, *totals)) for i in range(6)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.rjust(width) if right else cell.ljust(width)
                         for cell, width, right in zip(cells, widths, _CHARGE_RIGHT,
                                                       strict=True))

    rule = "  ".join("-" * width for width in widths)
    body = [line(header), rule, *(line(row) for row in rows), rule,
            *(line(row) for row in totals)]
    return "\n".join(text.rstrip() for text in body)


def charges_html_table(charged: Sequence[Mapping[str, Any]], language: str = "en") -> Markup:
    """The charges per invoice as an HTML <table> like the items table, every cell escaped."""
    def cells(values: Sequence[str], tag: str, bold: bool = False) -> str:
        weight = "font-weight:bold;" if bold else ""
        return "".join(
            f'<{tag} style="{_CELL}{weight}text-align:{"right" if right else "left"}">'
            f"{escape(value)}</{tag}>"
            for value, right in zip(values, _CHARGE_RIGHT, strict=True))

    parts = ['<table class="charges" cellpadding="0" cellspacing="0" '
             'style="border-collapse:collapse;margin:12px 0">',
             f"<thead><tr>{cells(_charge_header(charged, language), 'th', True)}</tr></thead>",
             "<tbody>"]
    parts += [f"<tr>{cells(_charge_cells(item, language), 'td')}</tr>" for item in charged]
    parts.append("</tbody><tfoot>")
    parts += [f"<tr>{cells(row, 'td', True)}</tr>"
              for row in _charge_total_rows(charged, language)]
    parts.append("</tfoot></table>")
    return Markup("".join(parts))
