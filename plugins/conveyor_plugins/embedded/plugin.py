"""Registers the embedded queue transport."""

from conveyor_plugins.embedded.http_transport import EmbeddedHttpTransport
from conveyor_plugins.embedded.transport import EmbeddedTransport
from conveyor_runner.plugin import hookimpl


@hookimpl
def conveyor_register_queue_transports():
    """The embedded transport serves ``embedded:///path/queue.db`` URLs."""
    return [EmbeddedTransport, EmbeddedHttpTransport]
