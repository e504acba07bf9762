"""Attribution: which account an event belongs to, and why.

An ordered chain of small matchers (``chain.py``); each returns an :class:`Attribution`
with the method, a confidence and the evidence, so every row can be explained.
"""

from streams.attribution.match import NO_MATCH, Attribution

__all__ = ["NO_MATCH", "Attribution"]
