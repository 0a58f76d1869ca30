"""The agent: the process inside each replica (``python -m conveyor_runner agent``).

It reads only its environment, loads the service's code once, consumes the service's
queue and runs each execution it claims, reporting status, progress, logs and the result
to the control plane before it acks the message (the execution ledger rule).

Modules, one role each:
    ``environment``  the replica environment, validated
    ``reporter``     the agent protocol calls (exchanges, heartbeats), retried
    ``batching``     natural batching: one request in flight, the rest goes next
    ``outbox``       log lines, progress, results and claims, shipped together in batches
    ``loader``       service, package revision, codebase, import, ``className(**initParams)``
    ``errors``       the agent's error hierarchy
    ``logs``         per-execution capture of log records and prints
    ``execution``    one call: inputs -> user function -> output, as a report body
    ``invoker``      supervision: a worker thread or child process, timeout and terminate
    ``child``        the child process of ``runExecutionAsProcess``
    ``consumer``     deliveries -> claim -> invoke -> report -> ack
    ``heartbeat``    the 2 s replica report and the terminate list it returns
    ``main``         ``run_agent()``: start-up, signals, drain, exit codes
"""
