"""Signals the evidence services send, so later stages hook in without evidence importing them.

Receivers run synchronously inside the sender's transaction (after the
service's ``flush``, before the view commits): they may add and flush rows, and
an exception they raise rolls the whole request back. Keep them quick; queue
slow work with ``app.jobs.enqueue``.

* ``submission_submitted``: sender is the ``Submission`` that just left draft
  (status ``submitted``, ``submitted_at`` set); keyword ``teacher``. The review
  workflow subscribes to create assignments (and, when review begins, to move
  the attempt to ``in_review``, after which it can no longer be withdrawn).
* ``submission_withdrawn``: sender is the withdrawn ``Submission``; keyword
  ``teacher``. The review workflow subscribes to close pending assignments.

Subscribe with ``submission_submitted.connect(receiver)``; the receiver is held
weakly unless ``weak=False`` is given, so connect module-level functions.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

submission_submitted = _signals.signal("evidence.submission-submitted")
submission_withdrawn = _signals.signal("evidence.submission-withdrawn")

__all__ = ["submission_submitted", "submission_withdrawn"]
