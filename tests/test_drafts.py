"""Drafts as .eml files: parsed back by the standard library, named safely, replaced by key."""

from __future__ import annotations

import datetime as dt
import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pandas as pd
import pytest

import dunning
from dunning.core.errors import DunningInputError
from dunning.mail.drafts import (
    DraftConflictError,
    clear_earlier_drafts,
    draft_name,
    read_templates,
    write_drafts,
)
from dunning.render.headers import decode_key
from dunning.render.messages import Sender, render_messages
from dunning.render.sandbox import TemplateSet

RUN = dt.date(2026, 11, 23)
SENDER = Sender("Acme Supplies Ltd", "Jane Smith", "ar@acme.example", "IBAN DE89 3704")
WHEN = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone.utc)
SAFE_NAME = re.compile(r"\d{4}-\d{2}-\d{2}_[A-Za-z0-9._-]+_[A-Za-z0-9._-]+_[0-9a-f]{12}\.eml")


def decisions(*ids, stage="friendly", language="en"):
    return pd.DataFrame([dict(customer=c, name=f"Name {c}", contact_name="", language=language,
                              email=f"ap{i}@customer{i}.example", action="send", stage=stage,
                              items=[]) for i, c in enumerate(ids)])


def items(*ids):
    rows = []
    for c in ids:
        rows += [dict(customer=c, invoice=f"{c}-INV-1", invoice_date=pd.Timestamp("2026-09-01"),
                      due_date=pd.Timestamp("2026-10-01"), amount=1500.0, open_balance=1500.0,
                      currency="EUR", days_past_due=53, included=True),
                 dict(customer=c, invoice=f"{c}-CN-2", invoice_date=pd.Timestamp("2026-10-02"),
                      due_date=pd.Timestamp("2026-10-02"), amount=-250.0, open_balance=-250.0,
                      currency="EUR", days_past_due=52, included=True)]
    return pd.DataFrame(rows)


def messages(*ids, templates=None, run_date=RUN, **options):
    return render_messages(decisions(*ids, **options), items(*ids),
                           templates or TemplateSet.default(), SENDER, run_date)


def read(path: Path):
    with path.open("rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)


def test_each_message_becomes_an_eml_draft_that_parses_back(tmp_path):
    batch = messages("C1", "C2")
    paths = write_drafts(batch, SENDER, tmp_path / "drafts", date=WHEN)
    assert [p.name for p in paths] == sorted(p.name for p in (tmp_path / "drafts").iterdir())
    for message, path in zip(batch, paths, strict=True):
        raw = path.read_bytes()
        assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
        received = read(path)
        assert received["X-Unsent"] == "1"
        assert [a.addr_spec for a in received["To"].addresses] == [message.to]
        assert received["From"].addresses[0].addr_spec == "ar@acme.example"
        assert received["Subject"] == "Payment reminder – Acme Supplies Ltd"
        assert received["Message-ID"] == message.message_id
        assert received["Date"].datetime == WHEN
        assert decode_key(received["X-Dunning-Key"]) == message.key
        assert received["List-Unsubscribe"].startswith("<mailto:ar@acme.example?subject=")
        assert received.get_content_type() == "multipart/alternative"
        text = received.get_body(("plain",)).get_content()
        html = received.get_body(("html",)).get_content()
        for invoice in message.invoices:
            assert invoice in text and invoice in html
        assert "EUR 1,250.00" in text and "EUR 1,250.00" in html  # 1500 - 250, netted
        assert "credit note" in text and "<table" in html
        assert f"Opt out: {message.customer}" in text


def test_names_are_windows_safe_distinct_and_sorted_by_date_then_customer(tmp_path):
    ids = ["CON", 'a/b\\c:d*?"<>|', "a_b_c_d", "Ärger GmbH", "...", " trailing. ", "x" * 200,
           "NUL.txt", "\u202eevil"]
    batch = messages(*ids)
    paths = write_drafts(batch, SENDER, tmp_path, date=WHEN)
    names = [path.name for path in paths]
    assert len(set(names)) == len(ids)
    for name in names:
        assert SAFE_NAME.fullmatch(name), name
        assert len(name) <= 100
        assert not re.search(r'[<>:"/\\|?*\x00-\x1f]', name)
    assert any(name.startswith("2026-11-23_Arger_GmbH_friendly_") for name in names)
    later = messages("AAA", run_date=RUN + dt.timedelta(days=1))
    assert draft_name(later[0]) > max(names)
    assert sorted(draft_name(m) for m in messages("B", "A")) == [
        draft_name(m) for m in messages("A", "B")]


def test_same_key_replaces_its_draft_and_leaves_nothing_else(tmp_path):
    first = write_drafts(messages("C1"), SENDER, tmp_path, date=WHEN)
    custom = TemplateSet.from_rows([["Stage", "Language", "Subject", "Text", "HTML"],
                                    ["friendly", "en", "Updated", "New text", ""]])
    second = write_drafts(messages("C1", templates=custom), SENDER, tmp_path,
                          date=WHEN + dt.timedelta(hours=1))
    assert first == second
    assert sorted(p.name for p in tmp_path.iterdir()) == [first[0].name]
    assert read(second[0])["Subject"] == "Updated"


def test_a_different_draft_at_the_name_is_never_overwritten(tmp_path):
    batch = messages("C1", "C2")
    foreign = tmp_path / draft_name(batch[1])
    foreign.write_bytes(b"From: someone@example.com\r\nSubject: mine\r\n\r\nkeep me\r\n")
    with pytest.raises(DraftConflictError, match="different message"):
        write_drafts(batch, SENDER, tmp_path, date=WHEN)
    assert sorted(tmp_path.iterdir()) == [foreign]  # nothing written, not even C1
    assert foreign.read_bytes().endswith(b"keep me\r\n")


def test_a_draft_with_another_key_at_the_name_is_refused(tmp_path):
    [message] = messages("C1")
    [path] = write_drafts([message], SENDER, tmp_path, date=WHEN)
    data = path.read_bytes().replace(b"C1|friendly", b"C9|friendly")
    path.write_bytes(data)
    with pytest.raises(DraftConflictError, match="C9"):
        write_drafts([message], SENDER, tmp_path, date=WHEN)


def test_a_failed_write_keeps_the_old_draft_and_no_partial_file(tmp_path, monkeypatch):
    [path] = write_drafts(messages("C1"), SENDER, tmp_path, date=WHEN)
    before = path.read_bytes()

    def refuse(source, target):
        raise PermissionError("file is open in another program")

    monkeypatch.setattr("dunning.io.durability.os.replace", refuse)  # drafts write through it
    with pytest.raises(PermissionError):
        write_drafts(messages("C1"), SENDER, tmp_path, date=WHEN + dt.timedelta(hours=1))
    assert path.read_bytes() == before
    assert sorted(tmp_path.iterdir()) == [path]


def test_duplicate_keys_in_one_batch_are_refused(tmp_path):
    [message] = messages("C1")
    with pytest.raises(ValueError, match="two messages"):
        write_drafts([message, message], SENDER, tmp_path, date=WHEN)


# ------------------------------------------------------------------ templates from a folder


def write_template(folder: Path, language: str, stage: str, subject: str, text: str,
                   html: str | None = None) -> None:
    (folder / language).mkdir(parents=True, exist_ok=True)
    (folder / language / f"{stage}.subject.txt").write_text(subject, encoding="utf-8")
    (folder / language / f"{stage}.txt").write_text(text, encoding="utf-8")
    if html is not None:
        (folder / language / f"{stage}.html").write_text(html, encoding="utf-8")


def test_templates_from_a_folder_render_and_layer_over_the_built_ins(tmp_path):
    folder = tmp_path / "my templates"
    write_template(folder, "en", "friendly", "Hello {{ customer_name }}\n",
                   "Dear {{ customer_name }},\n\n{{ items_table }}\n\nTotal {{ total }}\n")
    (folder / "README.txt").write_text("not a template", encoding="utf-8")
    templates = read_templates(folder)
    assert templates.keys() == [("friendly", "en")]
    [message] = messages("C1", templates=templates.over(TemplateSet.default()))
    assert message.subject == "Hello Name C1"
    assert "<table" in message.html and "<p>Total EUR 1,250.00</p>" in message.html
    assert message.template.endswith("en/friendly")
    [firm] = messages("C1", templates=templates.over(TemplateSet.default()), stage="firm")
    assert firm.subject.startswith("Second reminder")


def test_folder_template_errors_name_the_file(tmp_path):
    write_template(tmp_path, "de", "firm", "Hallo", "{{ customer.__class__ }}")
    with pytest.raises(DunningInputError) as caught:
        read_templates(tmp_path)
    assert str(Path(tmp_path) / "de" / "firm.txt").replace("\\", "/") in \
        str(caught.value).replace("\\", "/")
    (tmp_path / "de" / "firm.txt").unlink()
    with pytest.raises(DunningInputError, match="missing firm.txt"):
        read_templates(tmp_path)


def test_the_shipped_folder_extends_a_layout_only_the_built_in_loader_serves():
    """The shipped letters extend templates/layout.html and layout.txt, which only the
    built-in loader serves; read as a folder of the user's, each is refused, naming its file."""
    shipped = Path(dunning.__file__).parent / "render" / "templates"
    with pytest.raises(DunningInputError, match="stands alone") as caught:
        read_templates(shipped)
    assert len(caught.value.issues) == 2 * len(TemplateSet.default())  # every .txt and .html
    assert {issue.sheet.rsplit("/", 2)[-2] for issue in caught.value.issues} == {
        language for _stage, language in TemplateSet.default().keys()}  # noqa: SIM118


def test_clearing_deletes_only_dunnings_own_unsent_drafts_of_that_day(tmp_path):
    folder = tmp_path / "drafts"
    kept, gone = write_drafts(messages("C1", "C2"), SENDER, folder, date=WHEN)
    [other_day] = write_drafts(messages("C2", run_date=RUN - dt.timedelta(days=1)), SENDER,
                               folder, date=WHEN)
    sent_copy = folder / f"{RUN}_C2_friendly_{'a' * 12}.eml"  # a name Dunning never gives it
    sent_copy.write_bytes(gone.read_bytes())
    no_flag = folder / gone.name.replace("C2", "C3")
    no_flag.write_bytes(gone.read_bytes().replace(b"X-Unsent: 1\r\n", b""))
    keys = [message.key for message in messages("C1")]
    assert clear_earlier_drafts(folder, keys, RUN) == [gone]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        p.name for p in (kept, other_day, sent_copy, no_flag))
    assert clear_earlier_drafts(tmp_path / "missing", keys, RUN) == []
