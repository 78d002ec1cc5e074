"""Words and numbers for people: terminal reports, money formats, reminder
messages and their templates. Uses the core only.
"""
