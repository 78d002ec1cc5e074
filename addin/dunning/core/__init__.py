"""The pure core: ledger, aging, KPIs, policy, worklist, promises, disputes, plans,
charges and risk. DataFrames in, DataFrames and records out: no I/O, no clock, no
workbook or mail library, nothing from the rooms above.
"""
