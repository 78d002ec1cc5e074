"""Reminders as .eml drafts in a folder, and templates read from a folder.

The preview (`dunning remind BOOK --dry-run`) writes each message that would go
out as one .eml file, the same bytes SMTP would carry plus "X-Unsent: 1".

How mail programs open them:
- Outlook (Windows) reads X-Unsent: 1 as "not sent yet" and opens the file as an
  editable draft with a Send button (the header is how Outlook's own MIME
  conversion keeps a message's unsent flag). It sends from the account chosen in
  the window, whatever From says.
- Apple Mail ignores X-Unsent: a double-clicked .eml opens read-only. Choose
  Message > Send Again (Shift-Cmd-D) to get an editable copy with recipients,
  subject and body filled in.
- Thunderbird likewise opens it read-only; Message > Edit Message As New.

File names: "<run date>_<customer>_<stage>_<12 hex of the key's hash>.eml". They
sort by date, then customer; the customer and stage are folded to ASCII letters,
digits, ".", "_" and "-" (nothing Windows reserves, no trailing dot or space, at
most 40 characters), and the hash keeps two customers apart whose ids fold alike.

Replacing, the rule: the same key always gets the same file name, and writing it
again replaces that file (a rerun of the preview refreshes its drafts). A file
already at that name whose X-Dunning-Key is not the same key (another message,
or a file that is not a Dunning draft) is never overwritten: the whole batch
stops before writing anything.
Each file is written to a temporary name beside it, flushed to disk, then
renamed over the target, so a crash leaves the old draft or the new one, never
half a file.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from email import message_from_binary_file
from email import policy as email_policy
from pathlib import Path

from dunning.io.durability import sync_folder, write_atomically
from dunning.mail.mime import to_email
from dunning.render.headers import decode_key, key_digest
from dunning.render.messages import Message, Sender
from dunning.render.sandbox import FILE_SUFFIXES, TemplateSet

DRAFT_SUFFIX = ".eml"
NAME_LIMIT = 40


class DraftConflictError(FileExistsError):
    """A different draft already sits where a new one would be written."""


def write_drafts(messages: Iterable[Message], sender: Sender, folder: str | Path, *,
                 date: dt.datetime) -> list[Path]:
    """Write one .eml draft per message into `folder` (created if missing).

    Returns the paths in the order of `messages`. Raises `DraftConflictError`, before
    writing anything, if a file at one of the names holds a different message, and
    ValueError if two messages share a key.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    planned: list[tuple[Path, bytes]] = []
    seen: dict[str, str] = {}
    for message in messages:
        name = draft_name(message)
        if name in seen:
            raise ValueError(f"two messages with the key {message.key!r}")
        seen[name] = message.key
        email = to_email(message, sender, date=date)
        email["X-Unsent"] = "1"
        data = email.as_bytes(policy=email.policy.clone(linesep="\r\n"))
        path = target / name
        _check_replaceable(path, message)
        planned.append((path, data))
    for path, data in planned:
        write_atomically(path, data)
    return [path for path, _data in planned]


def draft_name(message: Message) -> str:
    """`2026-11-23_ACME-01_friendly_0a1b2c3d4e5f.eml`: sortable, Windows-safe, one per key."""
    return _name(message.key, message.customer, message.stage)


def key_draft_name(key: str) -> str:
    """The draft name of a message key (`customer|stage|date`), without the message."""
    customer, stage, _ = key.rsplit("|", 2)
    return _name(key, customer, stage)


def _name(key: str, customer: str, stage: str) -> str:
    run_date = key.rsplit("|", 1)[-1]
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", run_date):
        run_date = "undated"
    return (f"{run_date}_{safe_part(customer, 'customer')}_"
            f"{safe_part(stage, 'stage')}_{key_digest(key)[:12]}{DRAFT_SUFFIX}")


def clear_earlier_drafts(folder: str | Path, keep: Iterable[str], day: dt.date) -> list[Path]:
    """Delete the drafts an earlier preview of `day` wrote that this one does not write again.

    So a draft for a customer who has since promised, paid or disputed cannot be sent by
    hand from the folder. Only Dunning's own drafts go: a file is deleted only if its name
    is the one Dunning gives the key it carries (X-Dunning-Key, of `day`), it carries
    X-Unsent: 1, and that key is not in `keep`. Anything else in the folder is left alone.
    Returns the paths deleted.
    """
    target = Path(folder)
    if not target.is_dir():
        return []
    wanted, suffix = set(keep), f"|{day:%Y-%m-%d}"
    removed = []
    for path in sorted(target.glob(f"{day:%Y-%m-%d}_*{DRAFT_SUFFIX}")):
        if path.is_symlink() or not path.is_file():
            continue
        key, unsent = _draft_headers(path)
        if not key or key in wanted or not key.endswith(suffix) or not unsent:
            continue
        customer, stage, _ = key.rsplit("|", 2)
        if _name(key, customer, stage) != path.name:
            continue
        path.unlink()
        removed.append(path)
    if removed:
        sync_folder(target)
    return removed


def safe_part(text: str, empty: str) -> str:
    """Text folded to [A-Za-z0-9._-], at most NAME_LIMIT characters, never blank."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    folded = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_text)
    folded = re.sub(r"_+", "_", folded)[:NAME_LIMIT].strip("._-")
    return folded or empty


def _check_replaceable(path: Path, message: Message) -> None:
    if not path.exists():
        return
    existing = _key_of(path)
    if existing != message.key:
        shown = f"key {existing!r}" if existing else "no Dunning key"
        raise DraftConflictError(
            f"{path} already holds a different message ({shown}); Dunning replaces a draft "
            f"only with the same message (key {message.key!r}). Move or delete the file, "
            "then run again.")


def _key_of(path: Path) -> str:
    """The X-Dunning-Key of the draft at `path`; "" if unreadable or not a Dunning draft."""
    return _draft_headers(path)[0]


def _draft_headers(path: Path) -> tuple[str, bool]:
    """The draft's X-Dunning-Key ("" if none or unreadable) and whether it is marked unsent."""
    try:
        with path.open("rb") as handle:
            parsed = message_from_binary_file(handle, policy=email_policy.default)
        value = parsed.get("X-Dunning-Key")
        unsent = str(parsed.get("X-Unsent", "")).strip() == "1"
        key = decode_key(str(value)) if value else ""
    except (OSError, ValueError, IndexError):
        return "", False
    return key, unsent



def read_templates(folder: str | Path) -> TemplateSet:
    """Templates from a folder laid out like the built-in set.

    `<folder>/<language>/<stage>.subject.txt`, `<stage>.txt` and (optional)
    `<stage>.html`, UTF-8. Other files are ignored. Errors name the file.
    """
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"no template folder at {root}")
    files: dict[str, str] = {}
    for language in sorted(item for item in root.iterdir() if item.is_dir()):
        for file in sorted(item for item in language.iterdir() if item.is_file()):
            if file.name.lower().endswith(tuple(FILE_SUFFIXES.values())):
                files[f"{language.name}/{file.name}"] = file.read_text(encoding="utf-8-sig")
    return TemplateSet.from_texts(files, source=str(root))
