"""What a command or a ribbon button does: read the workbook, decide in the core,
write and send through the adapters, say what changed.
"""
