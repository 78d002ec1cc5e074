"""The Settings sheet: one schema, read once into one typed record, every problem at once."""

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dunning.app.remind import (
    PREVIEW_SENDER,
    _charges_from_stage,
    read_run_inputs,
    sender_from_settings,
    smtp_from_settings,
)
from dunning.core.charges import CHARGE_SETTINGS, ChargeSettings
from dunning.core.errors import DunningInputError
from dunning.core.policy import DEFAULT_STAGES, Policy
from dunning.demo import SAMPLE_SETTINGS, sample_invoices
from dunning.excel import arguments as cells
from dunning.io.book import open_book
from dunning.io.client_workbook import SETTINGS_ROWS, build_workbook
from dunning.sheets.settings import (
    KINDS,
    SCHEMA,
    SETTINGS_BY_NAME,
    Settings,
    WorkbookSettings,
    read_settings,
    read_settings_table,
)

HEADER = ["Setting", "Value"]


def template_pairs():
    return {name: value for name, value, _ in SETTINGS_ROWS}


# ------------------------------------------------------------------ the schema


def test_the_schema_is_the_templates_list_of_settings():
    written = [(setting.name, setting.template_value, setting.help)
               for setting in SCHEMA if setting.in_template]
    assert tuple(written) == SETTINGS_ROWS
    assert {name for name, _, _ in SETTINGS_ROWS} <= set(SETTINGS_BY_NAME)
    # the template's rows read back as the defaults (its Charges From Stage suggests Firm)
    assert read_settings(template_pairs()) == WorkbookSettings(charges_from_stage="Firm")


POLICY_NAMES_READ_BEFORE = (
    ("Minimum Days Between Reminders", "Min Gap Days"), ("Tolerance Amount", "Tolerance"),
    ("Send Window Start",), ("Send Window End",), ("Working Days",),
    ("Default Time Zone", "Time Zone"),
    ("Max Reminders In Period", "Max Messages", "Max Reminders"),
    ("Reminder Period Days", "Cap Days"),
)
"""The names (and aliases) the policy read its settings by before the schema: workbooks
made then must read the same now."""


def test_the_schema_covers_every_name_the_core_ever_read():
    by_name = {name for setting in SCHEMA for name in setting.names}
    for names in POLICY_NAMES_READ_BEFORE:
        assert set(names) <= by_name
    assert set(CHARGE_SETTINGS.values()) <= by_name
    assert {"As Of Date", "Aging Basis", "Client", "Company Name", "Sender Name",
            "Sender Email", "Reply To", "Opt Out Address", "Payment Instructions",
            "SMTP Host", "SMTP Port", "SMTP Security", "SMTP User", "Late Payment Charges",
            "Charges From Stage", "Round Daily Interest", "Bucket 9 Days"} <= by_name


def test_each_setting_is_well_formed():
    normal = [name.lower().replace(" ", "") for setting in SCHEMA for name in setting.names]
    assert len(normal) == len(set(normal)), "two settings answer to the same name"
    record = {item for item in WorkbookSettings.__dataclass_fields__}
    seen: set[str] = set()
    for setting in SCHEMA:
        assert setting.kind in KINDS and setting.help.endswith((".", "..."))
        assert setting.key in record or setting.key.startswith("bucket_")
        assert (setting.kind == "choice") == bool(setting.choices)
        if setting.read_when:
            assert setting.read_when[0] in seen, f"{setting.name} depends on a later setting"
        seen.add(setting.name)


def test_defaults():
    settings = read_settings({})
    assert settings == read_settings(None) == WorkbookSettings()
    assert settings.as_settings() == Settings()
    assert settings.policy() == Policy() and settings.policy().stages == DEFAULT_STAGES
    assert settings.charges is None and settings.warnings == ()
    assert (settings.smtp_port, settings.smtp_security) == (587, "starttls")
    assert smtp_from_settings(settings) is None
    # blank cells are missing settings, whatever blank looks like
    assert read_settings({"Tolerance Amount": "  ", "SMTP Port": None,
                          "Working Days": float("nan")}) == settings


# ------------------------------------------------------------------ names and values


def test_names_are_matched_loosely():
    settings = read_settings({
        "as-of date": "2026-03-31", "AGING BASIS": " Invoice ", "bucket 1  days": 10.0,
        "Reply-To": "replies@example.com", "min gap days": "7", "time zone": "europe/berlin",
        "Max Messages": 2, "Cap Days": "14", "contract rate": 6, "late-payment charges": "gb",
    })
    assert settings.as_of == dt.date(2026, 3, 31) and settings.aging_basis == "invoice"
    assert settings.bucket_edges == (0, 10) and settings.reply_to == "replies@example.com"
    assert (settings.min_gap_days, settings.default_time_zone) == (7, "Europe/Berlin")
    assert (settings.cap_messages, settings.cap_days) == (2, 14)
    assert settings.charges == ChargeSettings("uk")


def test_the_templates_name_comes_before_an_alias_and_a_repeat_is_told():
    settings = read_settings({"Tolerance": 3, "Tolerance Amount": 4})
    assert settings.tolerance == 4.0
    assert [issue.severity for issue in settings.warnings] == ["warning"]
    assert "'Tolerance Amount' is given 2 times" in settings.warnings[0].message
    assert read_settings({"Tolerance Amount": "", "Tolerance": 3}).tolerance == 3.0


def test_every_value_is_typed():
    settings = read_settings({
        "As Of Date": dt.datetime(2026, 3, 31, 0, 0), "Send Window Start": 0.375,
        "Send Window End": "6 pm", "Working Days": "Sun - Thu", "Tolerance Amount": "EUR 10.00",
        "SMTP Host": " mail.example.com ", "SMTP Port": "465", "SMTP Security": "TLS",
        "Late Payment Charges": "EU", "Statutory Margin": "9%", "EU Compensation": 45,
        "Round Daily Interest": "yes", "Sender Email": " ar@example.com ",
    })
    assert settings.as_of == dt.date(2026, 3, 31)
    assert (settings.window_start, settings.window_end) == (dt.time(9), dt.time(18))
    assert settings.working_days == frozenset({6, 0, 1, 2, 3}) and settings.tolerance == 10.0
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_security) == (
        "mail.example.com", 465, "tls")
    assert settings.charges == ChargeSettings("eu", margin_points=9.0, eu_compensation=45.0,
                                              round_daily=True)
    assert settings.sender_email == "ar@example.com"


def test_settings_a_feature_does_not_use_while_off_are_not_read():
    assert read_settings({"SMTP Port": "soon", "SMTP Security": "carrier pigeon"}) \
        == WorkbookSettings()
    assert read_settings({"Late Payment Charges": "none", "Contract Fee": "lots",
                          "Round Daily Interest": "maybe"}).charges is None
    uk = read_settings({"Late Payment Charges": "UK", "EU Compensation": "lots"})
    assert uk.charges == ChargeSettings("uk")


# ------------------------------------------------------------------ problems


def test_every_problem_at_once_each_at_its_row():
    rows = [HEADER, ["Client", "Acme"], ["As Of Date", "someday"], ["Aging Basis", "paid"],
            ["Bucket 1 Days", 30], ["Bucket 2 Days", 20], ["Send Window Start", "25:00"],
            ["SMTP Host", "mail.example.com"], ["SMTP Port", "five"], ["SMTP Hots", "x"],
            ["Sender Email", "Ana <ar@example.com>"], ["Late Payment Charges", "UK"],
            ["Statutory Margin", 9], [None, "a note"]]
    with pytest.raises(DunningInputError) as raised:
        read_settings_table(rows)
    found = {issue.message.split(":")[0]: issue for issue in raised.value.issues}
    assert list(found) == ["setting 'As Of Date'", "setting 'Aging Basis'",  # by row, then
                           "setting 'Bucket 2 Days'", "setting 'Send Window Start'",  # warnings
                           "setting 'SMTP Port'", "setting 'Sender Email'",
                           "setting 'Statutory Margin'", "unknown setting 'SMTP Hots' is ignored; "
                           "did you mean 'SMTP Host'?"]
    rows_of = {name: issue.row for name, issue in found.items()}
    assert rows_of["setting 'As Of Date'"] == 3 and rows_of["setting 'Bucket 2 Days'"] == 6
    assert rows_of["setting 'Statutory Margin'"] == 13  # the UK Act's rule, placed at its row
    assert {issue.sheet for issue in found.values()} == {"Settings"}
    assert {issue.column for issue in raised.value.issues if issue.severity == "error"} == {
        "Value"}
    text = str(raised.value)
    assert "Settings row 3 (Value): setting 'As Of Date': expected a date, or blank for today " \
           "(found 'someday')" in text
    assert "Settings row 4 (Value): setting 'Aging Basis': expected 'due' or 'invoice'" in text
    assert "Settings row 6 (Value): setting 'Bucket 2 Days': bucket days must increase" in text
    assert "Settings row 9 (Value): setting 'SMTP Port': expected a whole number" in text
    assert "Settings row 10 (Setting): unknown setting 'SMTP Hots'" in text


@pytest.mark.parametrize(("name", "value", "also"), [
    ("Pay By Days", 1e308, {}),  # once an OverflowError in the reminder run
    ("Minimum Days Between Reminders", 1e308, {}),
    ("Max Reminders In Period", 10.0 ** 20, {}),
    ("Minimum Overdue", 1e308, {}),  # once every customer skipped without a word
    ("Minimum Overdue", "EUR 50; USD " + "9" * 400, {}),
    ("Tolerance Amount", "9" * 400, {}),
    ("Statutory Margin", 1e308, {"Late Payment Charges": "EU"}),  # once InvalidOperation
    ("Contract Rate %", "1e308", {"Late Payment Charges": "Contract"}),
    ("Contract Fee", 1e308, {"Late Payment Charges": "Contract", "Contract Rate %": 8}),
    ("SMTP Port", 70000, {"SMTP Host": "mail.example.com"}),
])
def test_a_number_no_setting_can_be_is_refused_at_its_row(name, value, also):
    with pytest.raises(DunningInputError) as raised:
        read_settings({**also, name: value})
    [issue] = raised.value.issues
    assert issue.message.startswith(f"setting {name!r}: expected ") and issue.column == "Value"


def test_the_largest_counts_and_amounts_a_setting_takes():
    settings = read_settings({"Pay By Days": 109_878, "SMTP Port": 65535, "SMTP Host": "m.x",
                              "Minimum Overdue": "EUR 999999999999999"})
    assert (settings.pay_by_days, settings.smtp_port) == (109_878, 65535)
    with pytest.raises(DunningInputError, match="Pay By Days.*at most 109,878"):
        read_settings({"Pay By Days": 109_879})


def test_a_stage_fee_or_day_no_stage_can_have_names_its_cell():
    from dunning.core.policy import policy_from_settings

    rows = [["Stage", "Days From Due", "Action", "Template", "Fee"],
            ["friendly", 1e308, "email", "friendly", None],
            ["firm", 14, "email", "firm", 1e308],
            ["final", 28, "email", "final", "9" * 400]]
    with pytest.raises(DunningInputError) as raised:
        policy_from_settings({}, rows)
    said = [str(issue) for issue in raised.value.issues]
    assert [issue.column for issue in raised.value.issues] == ["Days From Due", "Fee", "Fee"]
    assert "at most 109,878 either way (found 1e+308)" in said[0]
    assert said[2].endswith("(found '99999999999999999999... (400 characters)')")


def test_rows_count_from_where_the_table_sits():
    with pytest.raises(DunningInputError) as raised:
        read_settings_table([["Value", "Setting"], ["soon", "Minimum Days Between Reminders"]],
                            sheet="Setup", header_row=4)
    issue = raised.value.issues[0]
    assert (issue.sheet, issue.row, issue.value) == ("Setup", 5, "soon")
    with pytest.raises(DunningInputError) as raised:  # a mapping has no rows to tell
        read_settings({"Minimum Days Between Reminders": "soon"})
    assert str(raised.value).startswith("Settings (Value): setting 'Minimum Days Between")


def test_unknown_names_are_warned_not_refused():
    settings = read_settings_table([HEADER, ["SMTP Host", "mail.example.com"],
                                    ["SMTP Hots", "smtp.example.com"], ["Favourite Colour", 3]])
    assert settings.smtp_host == "mail.example.com"
    assert [str(issue) for issue in settings.warnings] == [
        "Settings row 3 (Setting): unknown setting 'SMTP Hots' is ignored; did you mean "
        "'SMTP Host'?",
        "Settings row 4 (Setting): unknown setting 'Favourite Colour' is ignored",
    ]
    assert {issue.severity for issue in settings.warnings} == {"warning"}


def test_the_send_window_and_the_charges_combinations():
    with pytest.raises(DunningInputError, match="'Send Window End': the send window must end"):
        read_settings({"Send Window Start": "18:00", "Send Window End": "08:00"})
    with pytest.raises(DunningInputError) as raised:
        read_settings({"Late Payment Charges": "Contract"})
    assert str(raised.value) == ("Settings (Value): setting 'Contract Rate %': required when "
                                 "Late Payment Charges is Contract")


# ------------------------------------------------------------------ the consumers


def test_sender_and_mail_server_names_are_matched_without_regard_to_case():
    settings = read_settings({
        "smtp host": "mail.example.com", "SMTP port": 2525, "smtp SECURITY": "StartTLS",
        "Smtp User": "ana", "company name": "Harbour & Pine", "sender name": "Ana",
        "SENDER EMAIL": "ar@example.com", "reply to": "replies@example.com",
        "payment instructions": "IBAN 1", "opt-out address": "optout@example.com"})
    smtp = smtp_from_settings(settings)
    assert (smtp.host, smtp.port, smtp.security, smtp.user) == (
        "mail.example.com", 2525, "starttls", "ana")
    sender = sender_from_settings(settings)
    assert (sender.company_name, sender.sender_name, sender.sender_email, sender.reply_to,
            sender.payment_instructions, sender.opt_out_address) == (
        "Harbour & Pine", "Ana", "ar@example.com", "replies@example.com", "IBAN 1",
        "optout@example.com")


def test_a_preview_without_a_sender_email_uses_the_placeholder():
    assert sender_from_settings(WorkbookSettings(), preview=True).sender_email == PREVIEW_SENDER
    with pytest.raises(DunningInputError, match="Sender Email"):
        sender_from_settings(WorkbookSettings())


def test_charges_from_stage_is_checked_against_the_stages_at_its_row():
    settings = read_settings_table([HEADER, ["Client", "x"], ["Charges From Stage", "Later"]])
    with pytest.raises(DunningInputError) as raised:
        _charges_from_stage(settings, settings.policy())
    assert str(raised.value).startswith("Settings row 3 (Value): setting 'Charges From Stage': "
                                        "no stage named 'Later'; stages are courtesy")
    upper = read_settings({"charges from stage": "FIRM"})
    assert _charges_from_stage(upper, upper.policy()) == "FIRM"


def test_the_worksheet_functions_settings_argument():
    assert cells.settings_from_table([HEADER, ["aging basis", "Invoice"],
                                      ["BUCKET 1 DAYS", 15.0]]) == Settings(
        aging_basis="invoice", bucket_edges=(0, 15))
    with pytest.raises(DunningInputError) as raised:
        cells.settings_from_table([["Aging Basis", "paid"], ["Bucket 1 Days", "x"]])
    assert [issue.row for issue in raised.value.issues] == [1, 2]


def edited(path: Path, cells_to_set: dict[str, object]) -> Path:
    book = load_workbook(path)
    for cell, value in cells_to_set.items():
        book["Settings"][cell] = value
    book.save(path)
    return path


def row_of(name: str) -> int:
    return 2 + [setting for setting, _, _ in SETTINGS_ROWS].index(name)


def test_open_book_reads_the_settings_once_naming_rows_and_warning_of_unknown_names(tmp_path):
    path = build_workbook(tmp_path / "Client.xlsx", invoices=sample_invoices(),
                          settings=SAMPLE_SETTINGS)
    host = row_of("SMTP Host")
    edited(path, {f"A{host}": "SMTP Hots", f"B{host}": "mail.example.com"})
    book = open_book(path, all_currencies=True)
    warned = [issue for issue in book.issues if "SMTP Hots" in issue.message]
    assert len(warned) == 1 and warned[0].row == host and warned[0].severity == "warning"
    assert book.settings.company_name == SAMPLE_SETTINGS["Company Name"]

    edited(path, {f"B{row_of('SMTP Port')}": "five", f"B{row_of('Working Days')}": "weekdays"})
    with pytest.raises(DunningInputError) as raised:
        open_book(path, all_currencies=True)
    assert [(issue.row, issue.severity) for issue in raised.value.issues] == [
        (row_of("Working Days"), "error"), (host, "warning")]  # no host: the port is not read


def test_the_reminder_run_takes_the_one_record(tmp_path):
    path = build_workbook(tmp_path / "Client.xlsx", invoices=sample_invoices(),
                          settings={**SAMPLE_SETTINGS, "SMTP Host": "mail.example.com",
                                    "SMTP Port": 2525, "Late Payment Charges": "EU",
                                    "Minimum Days Between Reminders": 9})
    edited(path, {f"A{row_of('SMTP Port')}": "smtp-port"})  # still the port, loosely
    inputs = read_run_inputs(path)
    assert (inputs.smtp.host, inputs.smtp.port) == ("mail.example.com", 2525)
    assert inputs.charges == ChargeSettings("eu") and inputs.charges_from_stage == "Firm"
    assert inputs.policy.min_gap_days == 9
    assert inputs.sender.sender_email == SAMPLE_SETTINGS["Sender Email"]


def test_the_letters_settings_are_typed_and_a_bad_one_names_its_row():
    settings = read_settings({"Minimum Overdue": "EUR 50; USD 60", "Holiday Country": "fr",
                              "Start At Due Stage": "Yes", "Pay By Days": 10,
                              "Payment Link": "https://pay.example.com/{customer}?a={amount}"})
    assert settings.minimum_overdue == (("EUR", 50.0), ("USD", 60.0))
    assert (settings.holiday_country, settings.start_at_due_stage, settings.pay_by_days) == (
        "FR", True, 10)
    policy = settings.policy()
    assert policy.minimum_for("USD") == 60.0 and policy.holiday_country == "FR"
    defaults = read_settings({})
    assert (defaults.pay_by_days, defaults.payment_link, defaults.minimum_overdue) == (7, "", ())
    rows = [("Minimum Overdue", "fifty"), ("Holiday Country", "Narnia"), ("Pay By Days", 0),
            ("Payment Link", "javascript:alert('{customer}')")]
    with pytest.raises(DunningInputError) as caught:
        read_settings(rows, first_row=2)
    assert [(issue.row, issue.column) for issue in caught.value.issues] == [
        (2, "Value"), (3, "Value"), (4, "Value"), (5, "Value")]
    assert "https://" in caught.value.issues[3].message
