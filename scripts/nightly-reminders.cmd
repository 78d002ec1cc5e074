@echo off
rem Scheduled reminder run for Windows Task Scheduler: every client workbook in FOLDER and
rem below (dunning remind-all), or one workbook (dunning remind). Works without a `dunning`
rem command on the PATH.
rem
rem   nightly-reminders.cmd FOLDER^|WORKBOOK [remind options: --dry-run, --now MOMENT, ...]
rem
rem Run it hourly inside the send windows; each run sends only what is due and inside the
rem customer's own window, so one run an hour reaches every time zone and nothing goes twice.
rem Hours by this computer's clock: 08:05-17:05 for the template's 08:00-18:00 window here
rem (widen them for customers in other zones):
rem   schtasks /Create /TN "Dunning reminders" /SC DAILY /ST 08:05 /RI 60 /DU 09:30 /TR
rem     "C:\path\to\dunning\scripts\nightly-reminders.cmd C:\path\to\clients"
rem (Task Scheduler: a daily trigger at 08:05, repeat every 1 hour for 9.5 hours.)
rem
rem Settings (in the task's environment, or edit the defaults here):
rem   DUNNING_PYTHON   the python.exe that has Dunning installed
rem   DUNNING_VENV     or its virtual environment (uses its Scripts\python.exe)
rem   DUNNING_LOG_DIR  log folder (default: FOLDER\dunning-logs)
rem Without either, the .venv of this checkout (..\.venv beside this scripts folder) is used,
rem else python on PATH if it can import dunning. The SMTP password comes from Windows
rem Credential Manager (keyring set dunning SMTP_USER) or DUNNING_SMTP_PASSWORD.
rem
rem One log file per run, named by the run's moment: dunning-logs\reminders-YYYY-MM-DDTHHMMSS.log
rem
rem Exit code: dunning's own, the worst client's for a folder: 0 all done; 1 nothing sent for
rem a client (bad input, workbook open, no mail server); 2 finished, but something needs a
rem look (a failure, a send in doubt); 3 an unexpected failure (please report it); 4 sent,
rem but a workbook could not be saved: close it and run again (nothing is sent twice);
rem and the script's own: 64 usage (no FOLDER or WORKBOOK, or it does not exist); 69 no
rem Python with Dunning found (set DUNNING_PYTHON or DUNNING_VENV); 73 the log file cannot
rem be written.
setlocal EnableExtensions

if "%~1"=="" (
  echo usage: nightly-reminders.cmd FOLDER^|WORKBOOK [dunning remind options] 1>&2
  exit /b 64
)
set "TARGET=%~1"
set "TARGET_DIR=%~dp1"
if exist "%TARGET%\*" (
  set "COMMAND=remind-all"
) else if exist "%TARGET%" (
  set "COMMAND=remind"
) else (
  echo nightly-reminders: %TARGET% is neither a folder of client workbooks nor a workbook 1>&2
  exit /b 64
)

set "OPTIONS="
:collect
shift
if "%~1"=="" goto collected
set OPTIONS=%OPTIONS% %1
goto collect
:collected

if not defined DUNNING_PYTHON if defined DUNNING_VENV set "DUNNING_PYTHON=%DUNNING_VENV%\Scripts\python.exe"
if not defined DUNNING_PYTHON if exist "%~dp0..\.venv\Scripts\python.exe" set "DUNNING_PYTHON=%~dp0..\.venv\Scripts\python.exe"
if not defined DUNNING_PYTHON set "DUNNING_PYTHON=python"
"%DUNNING_PYTHON%" -c "import dunning" >nul 2>nul
if errorlevel 1 (
  echo nightly-reminders: no Python with Dunning found ^(tried %DUNNING_PYTHON%^); set DUNNING_PYTHON or DUNNING_VENV 1>&2
  exit /b 69
)

if not defined DUNNING_LOG_DIR (
  if "%COMMAND%"=="remind-all" (set "DUNNING_LOG_DIR=%TARGET%\dunning-logs") else (set "DUNNING_LOG_DIR=%TARGET_DIR%dunning-logs")
)
rem the run's moment from Python: %DATE% and %TIME% change with the regional settings
for /f "usebackq delims=" %%M in (`""%DUNNING_PYTHON%" -c "import datetime; print(datetime.datetime.now().strftime('%%Y-%%m-%%dT%%H%%M%%S'))""`) do set "MOMENT=%%M"
set "LOG=%DUNNING_LOG_DIR%\reminders-%MOMENT%.log"
if not exist "%DUNNING_LOG_DIR%\" mkdir "%DUNNING_LOG_DIR%" 2>nul
rem a redirection that fails runs nothing and takes the || branch
(echo == %MOMENT% dunning %COMMAND% %TARGET% %OPTIONS%) 1>>"%LOG%" 2>nul || goto nolog
echo == python: %DUNNING_PYTHON% >>"%LOG%"
"%DUNNING_PYTHON%" -m dunning.cli %COMMAND% "%TARGET%" --silent %OPTIONS% >>"%LOG%" 2>&1
set "STATUS=%ERRORLEVEL%"
echo == exit status %STATUS% >>"%LOG%"
if not "%STATUS%"=="0" echo nightly-reminders: dunning %COMMAND% %TARGET% exited with status %STATUS%; see %LOG% 1>&2
exit /b %STATUS%

:nolog
echo nightly-reminders: cannot write the log file %LOG%; set DUNNING_LOG_DIR 1>&2
exit /b 73
