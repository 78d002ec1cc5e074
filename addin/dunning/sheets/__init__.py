"""Workbook tables to typed values and back (Settings, Customers), each problem
named by sheet and cell. Uses the core only.
"""
