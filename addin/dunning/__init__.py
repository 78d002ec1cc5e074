"""Dunning: receivables aging, KPIs and collections for the workbook accountants already keep."""

__version__ = "0.1.0"
