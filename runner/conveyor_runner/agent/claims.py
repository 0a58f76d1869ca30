"""ClaimSender: the claims of deliveries received together leave in one request.

Each delivery is claimed with a token of its own (resent by every retry of the request):
if a claim was stored but its reply lost, the retry is recognised as the same claim
instead of a dead previous attempt, and the token names the attempt when its result is
reported (``ledger.record_result``).
"""

from __future__ import annotations

import uuid
from typing import Any

from conveyor_runner.agent.errors import AgentError, ControlPlaneUnreachable
from conveyor_runner.batching import BatchSender, Ticket

#: Entries of one claim request (the control plane accepts up to 1000).
MAX_CLAIMS = 500


class ClaimSender(BatchSender):
    """Sends ``POST /services/{id}/claims`` for queued claim tickets (bounded retries).

    A ticket's answer is the ledger's ``{executionId, action, reason, execution}``; a
    failed request fails all its tickets with ``ControlPlaneUnreachable`` or
    ``ReportRejected``.
    """

    def __init__(self, reporter) -> None:
        super().__init__("conveyor-claims", MAX_CLAIMS, expected=(AgentError,),
                         failure=ControlPlaneUnreachable)
        self.reporter = reporter

    @staticmethod
    def ticket(execution_id: str, dispatch_id: str | None,
               item_inputs: list[str] | None = None) -> Ticket:
        """A claim ticket for one delivery (submit it with the others of its receive).

        ``item_inputs``: the names of the function's ``Item``/``Item[]`` inputs; the answer
        then carries those items' JSON (``entities``), so they need no fetching.
        """
        payload = {"executionId": execution_id, "dispatchId": dispatch_id,
                   "claimToken": uuid.uuid4().hex}
        if item_inputs:
            payload["itemInputs"] = item_inputs
        return Ticket(payload)

    def _send(self, tickets: list[Ticket], extra: Any) -> None:
        answers = self.reporter.claims([ticket.payload for ticket in tickets])
        # A shorter answer leaves the rest unanswered: BatchSender fails them.
        for ticket, answer in zip(tickets, answers, strict=False):
            ticket.finish(answer)
