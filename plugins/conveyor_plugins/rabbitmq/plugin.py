"""Registers the RabbitMQ queue transport (or, without pika, a stand-in that says so)."""

from conveyor_runner.errors import ConfigurationError
from conveyor_runner.plugin import hookimpl
from conveyor_runner.queue import QueueTransport


class RabbitmqUnavailable(QueueTransport):
    """Serves ``amqp://`` URLs when pika is missing, failing with the fix."""

    schemes = ("amqp", "amqps")

    def __new__(cls, url: str, *args, **kwargs):
        raise ConfigurationError(
            "CONVEYOR_QUEUE_URL selects RabbitMQ, but the pika client is not installed; "
            "install it with: pip install 'conveyor[rabbitmq]'")


@hookimpl
def conveyor_register_queue_transports():
    """The RabbitMQ transport serves ``amqp://`` and ``amqps://`` URLs."""
    try:
        from conveyor_plugins.rabbitmq.transport import RabbitmqTransport
    except ImportError as exc:
        if getattr(exc, "name", None) != "pika":
            raise
        return [RabbitmqUnavailable]
    return [RabbitmqTransport]
