"""Batch screening of CSV exports: reading, column mapping, grouping into declarations, output, orchestration.

Pure of web and database code: the CLI (service/cli/batch.py) and the API call `run_batch`.
"""
