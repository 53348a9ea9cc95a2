"""Qt-free printing and export: receipts, bills, shift reports as PDF bytes; Excel exports.

receipt (ReceiptData, render_receipt_pdf, write_receipt_pdf) with layouts (ReceiptLayout),
bill (BillData, render_bill_pdf), shift_report (ShiftReportData, render_shift_report_pdf),
excel (Column, write_table_xlsx), capitals (amount_in_capitals). The GUI sends the PDFs to a
QPrinter; nothing here imports PySide6.
"""
