"""Reminders on their way: MIME messages, .eml drafts, SMTP through yagmail, and
the send journal that makes a send happen at most once.
"""
