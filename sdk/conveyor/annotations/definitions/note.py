"""``Note``: a box carrying a discussion thread (``Message``s), status and assignee."""

from __future__ import annotations

import time

import numpy as np

from conveyor.annotations.definitions.box import Box


class Message:
    """One message of a note thread.

    Attributes:
        id: Message id (None until the server assigns one).
        creator: Author email, or None.
        time: Creation time in epoch milliseconds (now when not given).
        body: The text.
    """

    def __init__(self, msg_id: str | None = None, creator: str | None = None, msg_time=None,
                 body: str | None = None) -> None:
        """Create a message; ``msg_time`` defaults to now (epoch ms)."""
        self.id = msg_id
        self.time = msg_time if msg_time is not None else int(time.time() * 1000)
        self.body = body
        self.creator = creator

    def to_json(self) -> dict:
        """Return ``{"id", "creator", "time", "body"}``."""
        return {"id": self.id, "creator": self.creator, "time": self.time, "body": self.body}

    @staticmethod
    def from_json(_json: dict) -> Message:
        """Build from ``{"id", "creator", "time", "body"}`` (missing keys become None)."""
        return Message(msg_id=_json.get("id"), creator=_json.get("creator"),
                       msg_time=_json.get("time"), body=_json.get("body"))


class Note(Box):
    """A box with a thread (wire type ``note``).

    Wire coordinates: ``{"box": <box coordinates>, "note": {"messages", "status",
    "createTime", "creator", "assignee"}}``. Notes are excluded from the default
    annotation filter.
    """

    type = "note"

    def __init__(self, left, top, right, bottom, label, attributes=None, messages=None,
                 status="issue", assignee=None, create_time=None, creator=None,
                 description=None) -> None:
        """Create a note; plain strings in ``messages`` become ``Message`` bodies."""
        super().__init__(left=left, top=top, right=right, bottom=bottom, label=label,
                         attributes=attributes, description=description)
        messages = messages if isinstance(messages, list) else (
            [] if messages is None else [messages])
        self.messages = [m if isinstance(m, Message) else Message(body=m, creator=creator)
                         for m in messages]
        self.status = status
        self.create_time = create_time
        self.creator = creator
        self.assignee = assignee if assignee is not None else creator

    def add_message(self, body: str | None = None) -> None:
        """Append a message with ``body``, authored by the note's creator."""
        self.messages.append(Message(body=body, creator=self.creator))

    def to_coordinates(self, color=None) -> dict:
        """Return ``{"box": [...], "note": {...}}``."""
        note = {"messages": [m.to_json() for m in self.messages], "status": self.status,
                "createTime": self.create_time, "creator": self.creator,
                "assignee": self.assignee}
        return {"box": super().to_coordinates(color=color), "note": note}

    @staticmethod
    def from_coordinates(coordinates) -> np.ndarray:
        """Return the two box corners of note coordinates."""
        return Box.from_coordinates(coordinates["box"])

    @classmethod
    def from_json(cls, _json: dict):
        """Build from an annotation JSON."""
        coordinates = cls._coordinates_of(_json)
        geo = cls.from_coordinates(coordinates)
        note = coordinates.get("note", {})
        return cls(left=np.min(geo[:, 0]), top=np.min(geo[:, 1]), right=np.max(geo[:, 0]),
                   bottom=np.max(geo[:, 1]), label=_json.get("label"),
                   attributes=_json.get("attributes"),
                   messages=[Message.from_json(m) for m in note.get("messages", [])],
                   status=note.get("status", "open"), creator=note.get("creator"),
                   assignee=note.get("assignee"), create_time=note.get("createTime", 0),
                   )._finish_from_json(_json)
