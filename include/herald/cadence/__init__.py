"""The cadence pipeline: PUB-5 weekly updates and the other standing rules, scanned on schedule.

- ``window``: which complete Shanghai ISO weeks a run judges (interval plus rescan window).
- ``weekly``: PUB-5, judged in the database from the ``cadence_presence`` counts kept as per-account week
  bits, writing only the findings that changed since the last scan (``cadence_lapse_state``).
- ``standing``: CON-9, PUB-1/PUB-3, CON-10, ACC-4, ACC-5.
- ``warning``: the mid-week reminder for accounts with nothing published or scheduled.
- ``digest`` / ``notify``: Chinese digests per competent department and host unit, sent by
  email (Airflow's SMTP provider) and WeCom / DingTalk group robots.
- ``scan``: the jobs Airflow tasks call (one transaction and ledger row each).
"""
