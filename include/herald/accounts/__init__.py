"""Account lifecycle (issue 15): the registration record and its creation approval (ACC-1, ACC-2, ACC-3).

- ``herald.accounts.registration``: filing an application (the 备案登记表 of 003 §5.1), which creates the account in
  state ``applied`` with every registration field, checked against the policy's ``registration`` section.
- ``herald.accounts.chain``: the policy's creation chain expanded into concrete steps (who answers each).
- ``herald.accounts.approval``: one decision on an application's current step (``decide``); the account becomes
  ``active`` only when the whole chain is approved.
- ``herald.accounts.excel``: the form as an Excel workbook (blank template, import with every bad cell named).
- ``herald.accounts.requests``: the steps as Airflow human-in-the-loop requests (plain functions).
- ``herald.accounts.records``: reading applications back (show, list) and the audit pack's rows.

Plain Python over Herald's database: nothing here imports Airflow.
"""
