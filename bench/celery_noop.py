"""The Celery side of bench/vs_celery.py: one no-op task, broker and backend from the env."""

import os

from celery import Celery

app = Celery("bench_noop", broker=os.environ["BENCH_BROKER"], backend=os.environ["BENCH_BACKEND"])
app.conf.update(task_acks_late=True, worker_prefetch_multiplier=1, result_expires=3600,
                broker_connection_retry_on_startup=True)


@app.task(name="noop")
def noop(value=0):
    """Return the value: the Celery counterpart of Conveyor's no-op function."""
    return value
