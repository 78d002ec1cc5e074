"""Excel's side: worksheet functions and their argument conversion, the open
workbook through xlwings, the ribbon's handlers.
"""
