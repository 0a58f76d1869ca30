"""Embedded queue transport: durable execution queues in one SQLite file.

Capabilities: durable publish (committed before ``publish`` returns; survives
``kill -9``), at-least-once delivery with per-consumer prefetch, FIFO per queue with
requeued messages keeping their original place, per-queue delivery timeouts, dead
letters with redrive, and crash recovery across processes: deliveries held by a process
that died return to the queue (detected through a per-process ``flock``). Several local
processes (control plane, agents) may share one file; no server is needed.
Selection: ``CONVEYOR_QUEUE_URL=embedded:///absolute/path/queue.db`` (the embedded
default is ``embedded://<data dir>/queue.db``). Parent folders are created.
Settings (URL query parameters):
    ``synchronous=normal|full`` (default ``normal``): ``full`` fsyncs every commit so
    messages also survive a power loss, at a large cost in throughput.
    ``poll_interval=<seconds>`` (default 0.2): how often a blocked receive looks for
    messages written by other processes (same-process writes wake it at once).
    ``delivery_timeout=<seconds>`` (default 1800, like RabbitMQ): for queues declared
    without one.
"""
