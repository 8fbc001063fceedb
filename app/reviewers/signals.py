"""Signals the review workflow sends, so the layers above hook in without the workflow importing them.

* ``submission_decided``: sender is the decided ``Submission`` (its ``Decision``
  flushed, pending assignments expired); keyword ``decision``. The analytics
  subscribe to mark the days whose summaries changed.

Receivers run inside the deciding transaction; keep them quick.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

submission_decided = _signals.signal("reviewers.submission-decided")

__all__ = ["submission_decided"]
