"""Published rate series: parsing recorded answers, deriving half-years, storing the new ones.

The recorded answers are in tests/data/rates (their README names where each format comes
from). Cases that need a rate change on a particular day are written inline and labelled
CRAFTED: they are not recorded answers. No test touches the network: `no_network` makes any
attempt fail loudly.
"""

import datetime as dt
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from dunning.app import rates
from dunning.cli import main
from dunning.core.charges import reference_rate_for
from dunning.core.errors import DunningInputError, Issue
from dunning.io.workbook import FileWorkbook
from dunning.io.xlsx import append_rows
from dunning.sheets.reference_rates import (
    load_reference_rates,
    reference_rates_from_rows,
    shipped_reference_rates,
)

DATA = Path(__file__).resolve().parent / "data" / "rates"
ECB_FILE = DATA / "ecb_mrr_fr.csv"
BOE_FILE = DATA / "boe_iudbedr.csv"
TODAY = dt.date(2026, 12, 2)
NEW_YEAR = dt.date(2027, 1, 5)  # the recorded ECB answer taken as still current then


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to use the network")
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


@pytest.fixture(autouse=True)
def user_file(tmp_path, monkeypatch):
    """The user's rates file, in the test's own folder (not created)."""
    path = tmp_path / "config" / "reference_rates.csv"
    monkeypatch.setenv("DUNNING_RATES", str(path))
    return path


def ecb():
    return rates.parse_ecb_csv(ECB_FILE.read_text(encoding="utf-8"))


def boe():
    return rates.parse_boe_csv(BOE_FILE.read_text(encoding="utf-8"))


def by_start(table):
    return {f"{start:%Y-%m-%d}": rate
            for start, rate in zip(table["effective_from"], table["rate_percent"], strict=True)}


# --- parsing the recorded answers --------------------------------------------------------------

def test_the_ecb_answer_is_one_row_per_change_of_rate():
    series = ecb()
    assert (series.regime, series.daily) == ("eu", False)
    assert series.rates[pd.Timestamp("2025-06-11")] == 2.15  # the June 2025 cut
    assert series.rates[pd.Timestamp("2026-06-17")] == 2.40  # the June 2026 rise
    assert series.rates.index[-1] == pd.Timestamp("2026-09-16")
    assert series.rates.index.is_monotonic_increasing and len(series.rates) == 26


def test_the_bank_of_england_export_is_one_row_per_business_day():
    series = boe()
    assert (series.regime, series.daily) == ("uk", True)
    assert series.rates[pd.Timestamp("2025-05-07")] == 4.50
    assert series.rates[pd.Timestamp("2025-05-08")] == 4.25
    assert pd.Timestamp("2025-12-25") not in series.rates.index
    assert series.rates.index[-1] == pd.Timestamp("2026-06-30")


def test_columns_are_found_by_name_and_other_series_are_left_out():
    text = ("TIME_PERIOD,KEY,OBS_STATUS,OBS_VALUE\n"
            "2025-06-11,FM.B.U2.EUR.4F.KR.DFR.LEV,A,2\n"
            "2025-06-11,FM.B.U2.EUR.4F.KR.MRR_FR.LEV,A,2.15\n"
            "2025-07-01,FM.B.U2.EUR.4F.KR.MRR_FR.LEV,A,\n")
    series = rates.parse_ecb_csv(text)
    assert series.rates.to_dict() == {pd.Timestamp("2025-06-11"): 2.15}
    titled = "\ufeffDATE,IUDBEDR\r\n02 Jan 2025,4.7500\r\n03 Jan 2025,\r\n"
    assert rates.parse_boe_csv(titled).rates.to_dict() == {pd.Timestamp("2025-01-02"): 4.75}


def test_an_error_page_or_another_file_is_refused_by_name():
    with pytest.raises(DunningInputError, match="answered with a web page"):
        rates.parse_boe_csv("<!DOCTYPE html><html><body>Error</body></html>")
    with pytest.raises(DunningInputError, match="not an ECB Data Portal CSV"):
        rates.parse_ecb_csv("No results found.")
    with pytest.raises(DunningInputError, match="expected a date such as 02 Jan 2025"):
        rates.parse_boe_csv("DATE,IUDBEDR\n2025-01-02,4.75\n")
    with pytest.raises(DunningInputError, match="holds no rates"):
        rates.parse_boe_csv("DATE,IUDBEDR\n")
    with pytest.raises(DunningInputError, match="invoices.csv: neither"):
        rates.read_series("Invoice,Amount\nA1,10\n", "invoices.csv")
    assert rates.read_series(ECB_FILE.read_text(), "ecb.csv").regime == "eu"
    assert rates.read_series(BOE_FILE.read_text(), "boe.csv").regime == "uk"


# --- deriving the half-years -----------------------------------------------------------------

def test_eu_half_years_take_the_rate_in_force_on_1_january_and_1_july():
    derived = rates.half_year_rates(ecb(), TODAY)
    found = by_start(derived)
    assert found["2025-07-01"] == 2.15  # cut to 2.15% with effect from 11 June 2025
    assert found["2025-01-01"] == 3.15  # 3.15% from 18 December 2024
    assert found["2026-07-01"] == 2.40  # raised to 2.40% with effect from 17 June 2026
    assert min(found) == "2013-01-01" and max(found) == "2026-07-01"  # none not yet begun
    source = derived.loc[derived["effective_from"] == "2025-07-01", "source"].item()
    assert "2.15% in force on 1 Jul 2025 (from 11 Jun 2025)" in source
    assert rates.ECB_URL in source and "FM.B.U2.EUR.4F.KR.MRR_FR.LEV" in source


def test_the_derived_rates_agree_with_every_shipped_half_year_they_cover():
    shipped = shipped_reference_rates()
    for series in (ecb(), boe()):
        derived = by_start(rates.half_year_rates(series, TODAY))
        ours = shipped[shipped["regime"] == series.regime]
        common = {f"{start:%Y-%m-%d}": rate for start, rate in
                  zip(ours["effective_from"], ours["rate_percent"], strict=True)
                  if f"{start:%Y-%m-%d}" in derived}
        assert len(common) >= 6
        assert common == {start: derived[start] for start in common}, series.regime


def test_a_half_year_is_derived_only_once_it_has_begun():
    assert "2026-07-01" not in by_start(rates.half_year_rates(ecb(), "2026-06-30"))
    assert by_start(rates.half_year_rates(ecb(), "2026-07-01"))["2026-07-01"] == 2.40
    # On 5 January 2027, with no change since 16 September 2026 (2.65%):
    assert by_start(rates.half_year_rates(ecb(), NEW_YEAR))["2027-01-01"] == 2.65


def test_uk_half_years_take_the_rate_of_30_june_and_31_december():
    found = by_start(rates.half_year_rates(boe(), TODAY))
    assert found == {"2024-01-01": 5.25, "2024-07-01": 5.25, "2025-01-01": 4.75,
                     "2025-07-01": 4.25, "2026-01-01": 3.75, "2026-07-01": 3.75}
    derived = rates.half_year_rates(boe(), TODAY)
    assert "3.75% in force on 31 Dec 2025 (since 18 Dec 2025)" in derived["source"].iloc[4]
    assert "(since at least 1 Dec 2023)" in derived["source"].iloc[0]


def test_the_uk_rule_reads_30_june_where_the_eu_rule_reads_1_july():
    # CRAFTED: a rate that changes on 1 July itself (the recorded series have no such day).
    boe_text = ("DATE,IUDBEDR\n29 Jun 2022,1.25\n30 Jun 2022,1.25\n01 Jul 2022,1.50\n"
                "04 Jul 2022,1.50\n")
    ecb_text = ("KEY,TIME_PERIOD,OBS_VALUE\nFM.B.U2.EUR.4F.KR.MRR_FR.LEV,2022-03-01,1.25\n"
                "FM.B.U2.EUR.4F.KR.MRR_FR.LEV,2022-07-01,1.5\n")
    uk = rates.half_year_rates(rates.parse_boe_csv(boe_text), "2022-07-04", since="2022-07-01")
    eu = rates.half_year_rates(rates.parse_ecb_csv(ecb_text), "2022-07-04", since="2022-07-01")
    assert by_start(uk) == {"2022-07-01": 1.25}  # the rate of 30 June
    assert by_start(eu) == {"2022-07-01": 1.50}  # the rate of 1 July


def test_a_daily_series_that_stops_before_the_fixing_day_gives_no_rate():
    # CRAFTED: an export that ends on 19 June, eleven days before 30 June.
    text = "DATE,IUDBEDR\n18 Jun 2026,3.75\n19 Jun 2026,3.75\n"
    assert rates.half_year_rates(rates.parse_boe_csv(text), "2026-07-02").empty
    # The recorded export ends on 30 June 2026: nothing for 31 December 2026.
    assert "2027-01-01" not in by_start(rates.half_year_rates(boe(), NEW_YEAR))
    # A series that begins after the fixing day gives nothing for that half-year either.
    late = "DATE,IUDBEDR\n03 Jul 2026,3.75\n"
    assert rates.half_year_rates(rates.parse_boe_csv(late), "2026-07-03",
                                 since="2026-07-01").empty


# --- what to add ---------------------------------------------------------------------------------

def test_only_half_years_the_rates_lack_are_added():
    derived = rates.half_year_rates(ecb(), NEW_YEAR)
    plan = rates.plan_update(derived, shipped_reference_rates(), shipped_reference_rates()[:0],
                             target_name="the test")
    assert by_start(plan.added) == {"2027-01-01": 2.65} and plan.issues == []


def test_a_different_figure_is_reported_and_left_alone():
    current = reference_rates_from_rows([["Regime", "Effective From", "Rate %"],
                                         ["eu", "2026-07-01", 2.15]])
    plan = rates.plan_update(rates.half_year_rates(ecb(), TODAY), current, current[:0],
                             target_name="the test")
    assert plan.added.empty
    [issue] = plan.issues
    assert issue.severity == "warning"
    assert "2026-07-01 is 2.15% in the rates Dunning reads, but the published series gives " \
           "2.40%; the row was left as it is" in issue.message


def test_a_national_rate_in_the_target_stops_that_regimes_additions():
    # Germany's Basiszinssatz as a workbook's EU rows (1.27% in the first half of 2026).
    german = reference_rates_from_rows([["Regime", "Effective From", "Rate %"],
                                        ["eu", "2025-07-01", 1.27], ["eu", "2026-01-01", 1.27]],
                                       base=shipped_reference_rates()[:0])
    current = reference_rates_from_rows([["Regime", "Effective From", "Rate %"],
                                         ["eu", "2025-07-01", 1.27], ["eu", "2026-01-01", 1.27]])
    derived = pd.concat([rates.half_year_rates(ecb(), NEW_YEAR),
                         rates.half_year_rates(boe(), NEW_YEAR)], ignore_index=True)
    plan = rates.plan_update(derived, current, german, target_name="the workbook")
    assert plan.added.empty  # no ECB row beside the Basiszinssatz; UK has nothing new
    [issue] = plan.issues
    assert "2 EU row(s) of the workbook differ" in issue.message
    assert "Basiszinssatz" in issue.message


# --- the update ----------------------------------------------------------------------------------

def test_an_update_writes_the_users_rates_file_which_every_run_reads(user_file):
    result = rates.update_rates(NEW_YEAR, files=[ECB_FILE, BOE_FILE])
    assert by_start(result.added) == {"2027-01-01": 2.65}
    assert result.message.startswith(f"Added 1 reference rate(s) to the rates file {user_file}")
    assert user_file.read_text(encoding="utf-8").startswith(
        "regime,effective_from,rate_percent,source\neu,2027-01-01,2.65,")
    assert reference_rate_for(load_reference_rates(), "eu", "2027-01-10") == 2.65
    assert reference_rate_for(reference_rates_from_rows([["Regime", "Effective From",
                                                          "Rate %"]]), "eu", "2027-01-10") == 2.65
    again = rates.update_rates(NEW_YEAR, files=[BOE_FILE, ECB_FILE])
    assert again.added.empty and again.message.startswith("Nothing added")
    assert "(the latest: EU from 2027-01-01, UK from 2026-07-01)" in again.message
    # The recorded Bank of England export ends on 30 June 2026, so it has no 31 December:
    [gap] = again.warnings
    assert gap.severity == "warning" and "boe_iudbedr.csv ends on 30 Jun 2026, before 31 Dec " \
        "2026: it gives no UK rate for the half-year starting 2027-01-01 yet" in gap.message


def test_an_update_fetches_both_series_when_no_file_is_given(user_file):
    asked = []

    def fetch(url):
        asked.append(url)
        return (ECB_FILE if "ecb.europa.eu" in url else BOE_FILE).read_text(encoding="utf-8")

    result = rates.update_rates(TODAY, fetch=fetch)
    assert asked == [rates.ECB_URL, rates.BOE_URL]
    assert "format=csvdata" in rates.ECB_URL and "SeriesCodes=IUDBEDR" in rates.BOE_URL
    assert result.added.empty and not user_file.exists()  # the shipped rates run to 1 July 2026


def test_an_update_appends_to_the_workbooks_reference_rates(book, user_file):
    result = rates.update_rates(NEW_YEAR, book=book, files=[ECB_FILE])
    assert result.message.startswith("Added 1 reference rate(s) to the ReferenceRates table of "
                                     "Client.xlsx: EU from 2027-01-01: 2.65%")
    table = FileWorkbook(book).table("ReferenceRates")
    [row] = [row for row in table.rows if any(cell not in (None, "") for cell in row)]
    assert row[:3] == ["eu", dt.date(2027, 1, 1), 2.65]
    assert "FM.B.U2.EUR.4F.KR.MRR_FR.LEV" in row[3] and "ecb_mrr_fr.csv" in row[3]
    assert reference_rate_for(reference_rates_from_rows(table.frame()), "eu", "2027-02-01") == 2.65
    assert not user_file.exists()
    assert rates.update_rates(NEW_YEAR, book=book, files=[ECB_FILE]).added.empty


def test_a_workbook_holding_the_basiszinssatz_gets_no_ecb_rows(book):
    append_rows(book, "ReferenceRates", [
        {"Regime": "eu", "Effective From": dt.date(2025, 7, 1), "Rate %": 1.27,
         "Source": "Bundesbank"},
        {"Regime": "eu", "Effective From": dt.date(2026, 1, 1), "Rate %": 1.27,
         "Source": "Bundesbank"}])
    result = rates.update_rates(NEW_YEAR, book=book, files=[ECB_FILE])
    assert result.added.empty and "Basiszinssatz" in str(result.warnings[0])


def test_a_workbook_without_the_table_is_told_what_to_do(tmp_path):
    import openpyxl

    path = tmp_path / "Old.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["Invoice", "Amount"])
    workbook.save(path)
    with pytest.raises(DunningInputError, match="Old.xlsx has no ReferenceRates table"):
        rates.update_rates(TODAY, book=path, files=[ECB_FILE])


def test_two_files_of_one_series_are_refused(tmp_path):
    copy = tmp_path / "again.csv"
    copy.write_text(ECB_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(DunningInputError, match="both the ECB main refinancing"):
        rates.update_rates(TODAY, files=[ECB_FILE, copy])


def test_a_network_failure_names_the_url_and_what_to_do(monkeypatch):
    def offline(request, timeout):
        assert timeout == rates.TIMEOUT_SECONDS
        assert request.get_header("User-agent").startswith("Mozilla/5.0")
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(rates.FetchError) as caught:
        rates.fetch_text(rates.ECB_URL)
    message = str(caught.value)
    assert message.startswith(f"could not read {rates.ECB_URL} (Name or service not known)")
    assert "--from-file FILE" in message


# --- the command line ----------------------------------------------------------------------------

def test_the_command_adds_the_new_half_years_and_says_so(user_file, capsys):
    argv = ["rates", "update", "--as-of", "2027-01-05", "--from-file", str(ECB_FILE),
            str(BOE_FILE)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Added 1 reference rate(s)" in out and "EU from 2027-01-01: 2.65%" in out
    assert user_file.exists()
    assert main(argv) == 0
    assert "Nothing added" in capsys.readouterr().out


def test_the_command_warns_of_a_figure_it_left_alone(user_file, capsys):
    user_file.parent.mkdir(parents=True)
    user_file.write_text("regime,effective_from,rate_percent,source\n"
                         "eu,2026-07-01,2.15,typed by hand\n", encoding="utf-8")
    assert main(["rates", "update", "--as-of", "2026-12-02", "--from-file", str(ECB_FILE)]) == 0
    captured = capsys.readouterr()
    assert "Warning: 1 EU row(s) of the rates file" in captured.err
    assert "Nothing added" in captured.out


def test_the_command_reports_a_network_failure_as_an_error(monkeypatch, user_file, capsys):
    def offline(url):
        raise rates.FetchError([Issue(f"could not read {url} (timed out). Check the "
                                      "internet connection")])

    monkeypatch.setattr(rates, "fetch_text", offline)
    assert main(["rates", "update"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"Error: could not read {rates.ECB_URL} (timed out)")
    assert not user_file.exists()


def test_the_command_needs_an_action(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["rates"])
    assert caught.value.code == 2
    assert "ACTION" in capsys.readouterr().err
