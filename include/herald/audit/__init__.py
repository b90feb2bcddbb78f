"""The annual audit pack (ACC-6, SEC-5): per account and for the group, the pack the admin center and auditors read.

``model`` holds the shapes every part shares: the pack builder fills them from Herald's database (each table with
its source SQL file, parameters, cutoff, row count and control totals), the data-quality gate judges them, and the
renderers write them as HTML, PDF, Excel and CSV in a BagIt layout, identical to the byte for the same inputs.
"""
