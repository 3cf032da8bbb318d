"""The inbound email channel (issue 14): one way in, stored before anything else.

``ingest(raw, source=…)`` stores the raw message as an ``InboundEmail`` row (one per Message-ID,
or per digest when there is none), then a Celery task processes the waiting messages after
commit, a batch at a time (``process_batch``); ``sweep`` (a periodic task) processes whatever was
left ``received``. Processing never raises for a bad message: each ends processed, ignored or
quarantined with a reason.
"""

from .store import ingest, ingest_many, process, process_batch, process_waiting, sweep, waiting

__all__ = ["ingest", "ingest_many", "process", "process_batch", "process_waiting", "sweep", "waiting"]
