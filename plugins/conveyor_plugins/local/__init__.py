"""Local compute backend: every replica is a subprocess on the control plane's machine.

Capabilities: replicas run ``python -m conveyor_runner agent`` (or ``DeploymentSpec.command``)
in their own session and process group, with ``os.environ`` + ``spec.env`` +
``CONVEYOR_REPLICA_ID`` + ``CONVEYOR_SERVICE_ID``; output appended to
``<data dir>/replicas/<service id>/<replica id>.log``. A supervisor thread restarts a
replica that exits unexpectedly (backoff 1 s doubling to 60 s, reset after 60 s of uptime),
rolling changes start the new revision before SIGTERMing the old one, surplus replicas stop
newest first (busy-ness is invisible here), SIGKILL follows the drain. On Linux replicas get
SIGTERM when the backend's process dies (PDEATHSIG), and a restarted backend stops
replicas its previous incarnation left running (``pids.json``). ``image``, ``pod_type`` and
``labels`` are ignored: a local process has no image and no resource limits.
Selection: ``runtime.backend = "local"`` on a service (the embedded default).
Settings: none; the backend keeps its files under the control plane's data directory.
"""
