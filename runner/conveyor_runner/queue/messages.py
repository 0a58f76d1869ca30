"""The execution message: what travels on a service's queue, and its (de)coding."""

from __future__ import annotations

import json
from dataclasses import dataclass

VERSION = 1


class UndecodableMessageError(ValueError):
    """The bytes are not an execution message; the delivery goes to the dead letters."""


@dataclass(frozen=True)
class ExecutionMessage:
    """A pointer to a ledger record; the record itself is authoritative.

    Attributes:
        execution_id: the execution to run.
        service_id: its service.
        function_name: the function to call (for logs; the claim returns the record).
        dispatch_id: identifies this message; older messages of a re-dispatched execution
            are stale duplicates and are skipped at claim.
    """

    execution_id: str
    service_id: str
    function_name: str
    dispatch_id: str

    def encode(self) -> bytes:
        """UTF-8 JSON with a version number."""
        return json.dumps({"v": VERSION, "execution_id": self.execution_id,
                           "service_id": self.service_id, "function_name": self.function_name,
                           "dispatch_id": self.dispatch_id}, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, body: bytes) -> ExecutionMessage:
        """Parse ``encode``'s output.

        Raises:
            UndecodableMessageError: not JSON, wrong version or missing fields.
        """
        try:
            data = json.loads(body)
            if data.pop("v", None) != VERSION:
                raise UndecodableMessageError(f"unsupported message version in {body[:80]!r}")
            return cls(**data)
        except (ValueError, TypeError) as exc:
            raise UndecodableMessageError(f"not an execution message: {exc}") from exc


def queue_name(service_id: str) -> str:
    """The queue a service's executions travel on."""
    return f"svc-{service_id}"
