"""{{package_name}}: a Conveyor package whose ``run`` function greets someone by name."""

import logging

import conveyor as dl

logger = logging.getLogger(__name__)


class ServiceRunner(dl.BaseServiceRunner):
    """The functions of the ``default_module`` declared in package.json.

    Conveyor creates one instance per replica and calls one method per execution. A
    replica runs up to ``runtime.concurrency`` executions at a time, in threads, so
    methods must not change shared state without a lock.
    """

    def run(self, name: str, progress: dl.Progress) -> str:
        """Greet ``name``.

        Args:
            name: Who to greet. It is declared as a ``String`` input in package.json.
            progress: Injected by Conveyor because the signature asks for it. Its
                updates appear on the execution. In a local test it records nothing.

        Returns:
            ``"Hello, <name>!"``. This becomes the execution's output.
        """
        progress.update(progress=50, message=f"greeting {name}")
        logger.info("greeting %s", name)
        return f"Hello, {name}!"
