"""Session-wide isolation: tests never read or write the user's own Conveyor or dtlpy files."""

from __future__ import annotations

import os
import tempfile

_home = tempfile.mkdtemp(prefix="conveyor-tests-home-")
os.environ["CONVEYOR_HOME"] = _home
os.environ["DATALOOP_PATH"] = os.path.join(_home, "dataloop")
for _variable in ("CONVEYOR_URL", "CONVEYOR_TOKEN", "CONVEYOR_DATA_DIR",
                  "CONVEYOR_DATABASE_URL"):
    os.environ.pop(_variable, None)
