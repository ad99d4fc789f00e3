"""Spreadsheet import and export (django-import-export resources keyed by natural keys)."""
