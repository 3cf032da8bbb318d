"""The inbound email channel (issue 14): one way in, stored before anything else.

``ingest(raw, source=…)`` stores the raw message as an ``InboundEmail`` row (one per Message-ID,
or per digest when there is none), then a Celery task processes it after commit; ``sweep``
(a periodic task) processes whatever was left ``received``. ``process`` never raises: each
message ends processed, ignored or quarantined with a reason.
"""

from .store import ingest, process, sweep

__all__ = ["ingest", "process", "sweep"]
