"""The scheduled-run scripts work as shipped: under cron's bare environment (`env -i`, a
minimal PATH, no `dunning` on it), on a folder of clients, with a log file per run and
distinct exit codes. Windows cannot run here, so the .cmd is checked statically for the
same settings, options and exit codes."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
SHELL = SCRIPTS / "nightly-reminders.sh"
BATCH = SCRIPTS / "nightly-reminders.cmd"
NOW = "2026-11-23T11:00:00+00:00"  # a Monday, inside the sample's send window
MINIMAL_PATH = "/usr/bin:/bin"


def checkout(tmp_path, *, venv=True):
    """A copy of the script in a checkout's layout, with a .venv whose python is this one."""
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    script = root / "scripts" / SHELL.name
    shutil.copy(SHELL, script)
    if venv:
        interpreter(root / ".venv" / "bin" / "python")
    return script


def interpreter(path):
    """A python that runs this checkout's Dunning (as a venv with it installed would), not
    whichever Dunning the test's own interpreter has installed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    addin = SCRIPTS.parent / "addin"
    path.write_text(f"#!/bin/sh\nPYTHONPATH={addin} exec {sys.executable} \"$@\"\n",
                    encoding="utf-8")
    path.chmod(0o755)
    return path


def bare_run(script, *args, home, **extra):
    """The script as cron runs it: no inherited environment, PATH=/usr/bin:/bin."""
    env = ["env", "-i", f"PATH={MINIMAL_PATH}", f"HOME={home}",
           *(f"{k}={v}" for k, v in extra.items())]
    return subprocess.run([*env, "/bin/sh", str(script), *map(str, args)],
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def clients(tmp_path, book):
    folder = tmp_path / "clients"
    (folder / "north").mkdir(parents=True)
    shutil.copy(book, folder / "Client.xlsx")
    shutil.copy(book, folder / "north" / "Other.xlsx")
    return folder


def test_under_crons_environment_a_dry_run_on_a_folder_logs_and_exits_0(tmp_path, clients):
    assert shutil.which("dunning", path=MINIMAL_PATH) is None  # the bug: not on cron's PATH
    script = checkout(tmp_path)
    done = bare_run(script, clients, "--dry-run", "--now", NOW, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""  # a clean run prints nothing: no cron mail
    [log] = (clients / "dunning-logs").glob("reminders-*.log")
    assert re.fullmatch(r"reminders-\d{4}-\d\d-\d\dT\d{6}\.log", log.name)
    text = log.read_text(encoding="utf-8")
    assert f"dunning remind-all {clients} --dry-run --now {NOW}" in text
    assert "Client.xlsx: status 0:" in text and "north/Other.xlsx: status 0:" in text
    assert "remind-all: 2 client(s), 2 ok, 0 not; exit status 0" in text
    assert text.rstrip().endswith("== exit status 0")
    assert list((clients / "Client-drafts-2026-11-23").glob("*.eml"))


def test_the_checkouts_own_venv_is_found_in_place(tmp_path, clients):
    venv_python = SCRIPTS.parent / ".venv" / "bin" / "python"
    if not os.access(venv_python, os.X_OK):
        pytest.skip("no .venv in this checkout (the README's install makes one)")
    done = bare_run(SHELL, clients, "--dry-run", "--now", NOW, home=tmp_path,
                    DUNNING_LOG_DIR=tmp_path / "logs")
    assert done.returncode == 0, done.stderr
    [log] = (tmp_path / "logs").glob("reminders-*.log")
    assert f"python: {SCRIPTS}/../.venv/bin/python" in log.read_text(encoding="utf-8")


def test_dunning_python_names_the_interpreter_and_a_failing_client_sets_the_status(
        tmp_path, clients):
    (clients / "Broken.xlsx").write_bytes(b"PK\x03\x04 not a whole workbook")
    script = checkout(tmp_path, venv=False)
    done = bare_run(script, clients, "--dry-run", "--now", NOW, home=tmp_path,
                    DUNNING_PYTHON=interpreter(tmp_path / "bin" / "python"))
    assert done.returncode == 1
    [log] = (clients / "dunning-logs").glob("reminders-*.log")
    assert f"exited with status 1; see {log}" in done.stderr
    assert "Failed: Broken.xlsx (status 1)" in log.read_text(encoding="utf-8")


def test_one_workbook_runs_dunning_remind(tmp_path, clients):
    script = checkout(tmp_path)
    done = bare_run(script, clients / "Client.xlsx", "--dry-run", "--now", NOW, home=tmp_path)
    assert done.returncode == 0, done.stderr
    [log] = (clients / "dunning-logs").glob("reminders-*.log")
    assert "dunning remind " in log.read_text(encoding="utf-8")


def test_no_python_with_dunning_is_exit_69(tmp_path, clients):
    script = checkout(tmp_path, venv=False)
    system = shutil.which("python3", path=MINIMAL_PATH)
    if system and subprocess.run([system, "-c", "import dunning"], capture_output=True,
                                 check=False).returncode == 0:
        pytest.skip(f"{system} has Dunning installed: the fallback would find it")
    done = bare_run(script, clients, "--dry-run", home=tmp_path)
    assert done.returncode == 69
    assert "no Python with Dunning found" in done.stderr and "DUNNING_PYTHON" in done.stderr
    missing = bare_run(script, clients, home=tmp_path, DUNNING_PYTHON=tmp_path / "nope")
    assert missing.returncode == 69
    assert not (clients / "dunning-logs").exists()


def test_usage_and_log_failures_have_their_own_codes(tmp_path, clients):
    script = checkout(tmp_path)
    assert bare_run(script, home=tmp_path).returncode == 64
    gone = bare_run(script, tmp_path / "no-such-folder", home=tmp_path)
    assert gone.returncode == 64 and "neither a folder" in gone.stderr
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    done = bare_run(script, clients, "--dry-run", home=tmp_path,
                    DUNNING_LOG_DIR=blocked / "logs")
    assert done.returncode == 73 and "cannot write the log file" in done.stderr


def comments(text, mark):
    return " ".join(line.strip().removeprefix(mark).strip() for line in text.splitlines()
                    if line.strip().startswith(mark))


def test_the_cmd_file_offers_the_same_settings_options_and_exit_codes():
    raw = BATCH.read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF throughout: cmd.exe's labels need it
    batch, shell = raw.decode("ascii"), SHELL.read_text(encoding="ascii")
    lines = [line.strip() for line in batch.splitlines()]
    code = [line for line in lines if line and not line.lower().startswith(("rem", "@echo"))]
    for setting in ("DUNNING_PYTHON", "DUNNING_VENV", "DUNNING_LOG_DIR"):
        assert setting in shell and setting in batch
    assert r"%~dp0..\.venv\Scripts\python.exe" in batch and "$here/../.venv/bin/python" in shell
    run = [line for line in code if "-m dunning.cli" in line]
    assert run == ['"%DUNNING_PYTHON%" -m dunning.cli %COMMAND% "%TARGET%" --silent %OPTIONS% '
                   '>>"%LOG%" 2>&1']
    assert 'set "COMMAND=remind-all"' in code and 'set "COMMAND=remind"' in code
    assert not any(re.match(r"dunning\s", line) for line in code)  # the exit-127 bug
    assert not any(re.match(r"dunning\s", line.strip()) for line in shell.splitlines())
    exits = set(re.findall(r"exit /b (\S+)", batch))
    assert exits == {"64", "69", "73", "%STATUS%"}
    assert set(re.findall(r"exit (\d+)", shell)) == {"64", "69", "73"}
    for documented in ("0 all done", "1 nothing sent", "2 finished", "3 an unexpected",
                       "4 sent", "64 usage", "69 no Python", "73 the log file"):
        assert documented in comments(shell, "#") and documented in comments(batch, "rem")
    labels = {line[1:].lower() for line in code if line.startswith(":")}
    assert {t.lower() for t in re.findall(r"goto (\w+)", batch)} <= labels
    depth = 0
    for line in code:  # parentheses balance (escaped ^( ^) and quoted text aside)
        bare = re.sub(r'"[^"]*"', "", line.replace("^(", "").replace("^)", ""))
        depth += bare.count("(") - bare.count(")")
        assert depth >= 0, line
    assert depth == 0
    assert "reminders-%MOMENT%.log" in batch and "reminders-$moment.log" in shell
    assert "schtasks /Create" in batch and "crontab" in shell
