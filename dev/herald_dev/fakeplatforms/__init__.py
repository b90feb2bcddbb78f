"""Local fake platforms (WeChat, Weibo, a CMS) that honour the platform contracts, errors included.

Started by the tests and by ``make demo``; ``python -m herald_dev.fakeplatforms --port 8765`` for
manual use. Faults are switched on through ``FakePlatforms.inject`` or ``POST /_fake/faults``,
and ``/_fake/publications`` lists every publication the fakes accepted, so a test can count
publications per post.
"""

from herald_dev.fakeplatforms.server import FakePlatforms
from herald_dev.fakeplatforms.state import FAULT_KINDS, FakeConfig, Fault

__all__ = ["FAULT_KINDS", "FakeConfig", "FakePlatforms", "Fault"]
