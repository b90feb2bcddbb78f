"""The archive of published items (PUB-4: 备案, 存档备查): write-once, checksummed, verifiable bundles.

- ``bundle``: what one published item's bundle holds (a BagIt-style bag, RFC 8493) and how to check one.
- ``store``: write-once storage over a local folder or any fsspec / ObjectStoragePath object store.
- ``chain``: the daily index documents, each committing to the previous day's (tamper evidence).
- ``platform_records``: the platform's own record of an item, fetched back by a caller-given function.
- ``archiver``: the archive run (asset-triggered and daily sweep); ``verify``: the verification run.

Nothing here imports Airflow; the DAGs in ``dags/archive.py`` call these with a store and a database.
"""

from herald.archive.store import ArchiveStore, LocalStore, ObjectStore, open_store

__all__ = ["ArchiveStore", "LocalStore", "ObjectStore", "open_store"]
