"""The queue role: how execution messages travel from the control plane to replicas."""

from conveyor_runner.queue.transport import (
    Consumer,
    DeadLetter,
    Delivery,
    Message,
    PartialPublishError,
    QueueTransport,
    QueueUnavailableError,
)

__all__ = ["Consumer", "DeadLetter", "Delivery", "Message", "PartialPublishError",
           "QueueTransport", "QueueUnavailableError"]
