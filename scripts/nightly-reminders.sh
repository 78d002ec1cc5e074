#!/usr/bin/env sh
# Nightly reminder run for cron (Linux, macOS).
#
#   crontab -e
#   30 8 * * 1-5  /path/to/nightly-reminders.sh /path/to/Client.xlsx >> /path/to/dunning.log 2>&1
#
# The SMTP password comes from the keyring (keyring set dunning SMTP_USER) or from
# DUNNING_SMTP_PASSWORD in the job's environment, never from the workbook.
# Exit status: 0 all sent or nothing due; 1 nothing sent (bad input, workbook open,
# no mail server); 2 the run finished but some messages failed, were not attempted or are
# in doubt (every run says so until settled); 4 sent, but the workbook could not be saved:
# close it and run again (nothing is sent twice; the next run writes the log rows).
set -u
book="${1:?usage: nightly-reminders.sh WORKBOOK}"
echo "== $(date '+%Y-%m-%d %H:%M:%S') dunning remind $book"
dunning remind "$book" --silent
status=$?
echo "== exit status $status"
exit "$status"
