"""Item codebase fetcher: package code stored as a zip item (dtlpy's ``ItemCodebase``).

Capabilities: fetches ``{"type": "item", "itemId": ...}`` codebases -- the zip that
``package.push`` uploads to the project's Binaries dataset -- by streaming
``GET /items/{itemId}/stream`` with the replica's SDK client; checks the byte count against
the item's ``metadata.system.size`` (and its ``metadata.system.md5`` when the pusher set
one); unpacks into ``<cache dir>/<itemId>-<md5, or size and update time>`` through a
temporary folder renamed into place, so a cache entry is complete or absent; serialises
fetchers of one entry across threads and processes with a lock file (and tolerates losing
a rename race without it); refuses zip entries that would land outside the folder.
Selection: a package whose ``codebase.type`` is ``item`` (what ``package.push`` creates).
Settings: none; the cache lives where the agent puts it (``$CONVEYOR_HOME/codebases``).
"""
