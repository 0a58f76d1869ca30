"""RabbitMQ queue transport: execution queues on a RabbitMQ broker (AMQP 0-9-1, pika).

Capabilities: one durable queue per service with a durable dead-letter queue
``<queue>.dlq`` beside it; persistent messages published with publisher confirms
(``publish`` returns once the broker stored the message, and rides out a broker restart
by reconnecting and retrying for a bounded time); manual acks only, so a message leaves
the queue only when the replica acks it after the ledger stored the result; exact
prefetch (= the replica's free concurrency); per-queue consumer timeouts so an execution
may run for its whole ``executionTimeout`` (RabbitMQ 3.12+, see below); dead letters
listed and redriven; consumers with their own connection and I/O thread, so heartbeats
flow while executions run, and that reconnect after a broker restart.

Selection: ``CONVEYOR_QUEUE_URL=amqp://user:password@host:5672/vhost`` (``amqps://`` for
TLS; the default vhost ``/`` is written ``%2F``). Needs ``pip install 'conveyor[rabbitmq]'``.

Settings (URL query parameters; pika's own, e.g. ``heartbeat``, ``socket_timeout``,
``blocked_connection_timeout``, ``ssl_options``, pass through to pika):
    ``publish_timeout=<seconds>`` (default 30): how long ``publish`` (and queue
    management) keeps retrying through a broker outage before ``QueueUnavailableError``.
    ``queue_type=classic|quorum`` (default ``classic``): the type of queues this
    transport creates.

Queue type. ``classic`` (the default) gives exactly the ``QueueTransport`` contract:
a settled delivery is visible to ``depth``/``purge`` as soon as ``ack``/``nack``
returns, and a nacked message keeps its place. Its ``delivery_count`` is 1 or 2 ("at
least 2": the broker keeps only a redelivered flag; attempts are counted exactly by the
ledger at claim). ``quorum`` replicates queues across a cluster and counts deliveries
exactly (``x-delivery-count``), but the broker reports queue lengths from its applied
state, a few milliseconds behind settles (measured on 3.10: a ``depth`` right after a
``nack`` missed it 49 times in 50), and RabbitMQ 3.10 requeues a nacked message at the
tail. On RabbitMQ 4.x quorum queues dead-letter a message after 20 deliveries by default:
it lands in ``<queue>.dlq`` with the broker's reason, never dropped.

Consumer timeout. ``declare(queue, delivery_timeout=s)`` sets the queue argument
``x-consumer-timeout``, which RabbitMQ 3.12+ applies (checked once per
``channel_tick_interval``, 60 s by default). Older brokers apply only their broker-wide
``consumer_timeout`` (default 30 min): a warning says to raise it when a queue needs
more. A queue's arguments cannot change: redeclaring with another timeout (or type)
keeps the queue and logs how to recreate it. When the broker times a delivery out it
closes the consumer's channel and requeues its deliveries; the consumer opens a new
channel and goes on.

Broker restarts and lost connections. Unsettled deliveries of a lost channel are back
in the queue (the broker requeued them); settling one of them afterwards is a logged
no-op, as in the embedded transport when a delivery outlives its lease. Running
executions are not interrupted: their redelivery meets the ledger's ``onReset`` at claim.
"""
