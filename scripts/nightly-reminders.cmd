@echo off
rem Nightly reminder run for Windows Task Scheduler.
rem   Program: C:\path\to\nightly-reminders.cmd   Arguments: "C:\path\to\Client.xlsx"
rem The SMTP password comes from Windows Credential Manager (keyring set dunning SMTP_USER)
rem or the DUNNING_SMTP_PASSWORD environment variable, never from the workbook.
rem Exit code: 0 all sent or nothing due; 1 nothing sent (bad input, workbook open, no mail
rem server); 2 the run finished but some messages failed, were not attempted or are in doubt
rem (every run says so until settled); 4 sent, but the workbook could not be saved: close it
rem and run again (nothing is sent twice; the next run writes the log rows).
setlocal
if "%~1"=="" (echo usage: nightly-reminders.cmd WORKBOOK & exit /b 1)
echo == %DATE% %TIME% dunning remind %1
dunning remind "%~1" --silent
set status=%ERRORLEVEL%
echo == exit status %status%
exit /b %status%
