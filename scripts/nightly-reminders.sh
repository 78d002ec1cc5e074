#!/bin/sh
# Scheduled reminder run for cron (Linux, macOS): every client workbook in FOLDER and below
# (dunning remind-all), or one workbook (dunning remind). Works under cron's bare PATH: it
# never relies on a `dunning` command being found.
#
#   nightly-reminders.sh FOLDER|WORKBOOK [remind options: --dry-run, --now MOMENT, --smtp-host H ...]
#
# Run it hourly inside the send windows; each run sends only what is due and inside the
# customer's own window, so one run an hour reaches every time zone and nothing goes twice.
# Hours by this computer's clock: 08:05-17:05 for the template's 08:00-18:00 window here
# (widen them for customers in other zones):
#   crontab -e
#   5 8-17 * * 1-5  /path/to/dunning/scripts/nightly-reminders.sh /path/to/clients
#
# Settings (set them in the crontab line or the job's environment, or edit the defaults here):
DUNNING_PYTHON="${DUNNING_PYTHON:-}"    # the Python that has Dunning installed
DUNNING_VENV="${DUNNING_VENV:-}"        # or its virtual environment (uses its bin/python)
DUNNING_LOG_DIR="${DUNNING_LOG_DIR:-}"  # log folder (default: FOLDER/dunning-logs)
# Without either, the .venv of this checkout (../.venv beside this scripts folder) is used,
# else python3 on PATH if it can import dunning. The SMTP password comes from the keyring
# (keyring set dunning SMTP_USER) or DUNNING_SMTP_PASSWORD, never from a workbook.
#
# One log file per run, named by the run's moment: dunning-logs/reminders-YYYY-MM-DDTHHMMSS.log
# (everything the run printed, with its start, command and exit status). Nothing is printed
# when the run is clean; otherwise one line names the status and the log (cron mails it).
#
# Exit status: dunning's own, the worst client's for a folder:
#   0 all done; 1 nothing sent for a client (bad input, workbook open, no mail server);
#   2 finished, but something needs a look (a failure, a send in doubt);
#   3 an unexpected failure (please report it); 4 sent, but a workbook could not be saved:
#   close it and run again (nothing is sent twice).
# and the script's own:
#   64 usage: no FOLDER or WORKBOOK given, or it does not exist;
#   69 no Python with Dunning found (set DUNNING_PYTHON or DUNNING_VENV);
#   73 the log file cannot be written.
set -u

if [ "$#" -lt 1 ] || [ -z "$1" ]; then
  echo "usage: nightly-reminders.sh FOLDER|WORKBOOK [dunning remind options]" >&2
  exit 64
fi
target=$1
shift
if [ -d "$target" ]; then
  command=remind-all
elif [ -f "$target" ]; then
  command=remind
else
  echo "nightly-reminders: $target is neither a folder of client workbooks nor a workbook" >&2
  exit 64
fi

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
python=$DUNNING_PYTHON
if [ -z "$python" ] && [ -n "$DUNNING_VENV" ]; then
  python=$DUNNING_VENV/bin/python
fi
if [ -z "$python" ] && [ -x "$here/../.venv/bin/python" ]; then
  python=$here/../.venv/bin/python
fi
if [ -z "$python" ]; then
  python=$(command -v python3 || true)
fi
if [ -z "$python" ] || ! "$python" -c "import dunning" >/dev/null 2>&1; then
  echo "nightly-reminders: no Python with Dunning found (tried ${python:-python3}); set" \
       "DUNNING_PYTHON to it, or DUNNING_VENV to its virtual environment" >&2
  exit 69
fi

if [ -z "$DUNNING_LOG_DIR" ]; then
  if [ -d "$target" ]; then DUNNING_LOG_DIR=$target/dunning-logs
  else DUNNING_LOG_DIR=$(dirname -- "$target")/dunning-logs; fi
fi
moment=$(date '+%Y-%m-%dT%H%M%S')
log=$DUNNING_LOG_DIR/reminders-$moment.log
if ! mkdir -p "$DUNNING_LOG_DIR" 2>/dev/null || ! : >>"$log" 2>/dev/null; then
  echo "nightly-reminders: cannot write the log file $log; set DUNNING_LOG_DIR" >&2
  exit 73
fi

{
  echo "== $(date '+%Y-%m-%d %H:%M:%S %z') dunning $command $target $*"
  echo "== python: $python"
} >>"$log"
"$python" -m dunning.cli "$command" "$target" --silent "$@" >>"$log" 2>&1
status=$?
echo "== exit status $status" >>"$log"
if [ "$status" -ne 0 ]; then
  echo "nightly-reminders: dunning $command $target exited with status $status; see $log" >&2
fi
exit "$status"
