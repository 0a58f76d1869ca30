"""Contract test suites: the guarantees every implementation of a plugin role must keep.

Each suite is a plain pytest class that needs one fixture, the implementation under test.
Subclass it in a ``Test*`` class of your plugin's tests and provide the fixture::

    from conveyor_runner.testing.contracts.queue import QueueTransportContract

    class TestMyTransport(QueueTransportContract):
        @pytest.fixture
        def transport(self, tmp_path):
            transport = MyTransport("my:///...")
            yield transport
            transport.close()

Suites: ``queue.QueueTransportContract``, ``compute.ComputeBackendContract``,
``codebase.CodebaseFetcherContract``.
"""

import pytest

# The suites live in an installed package, which pytest does not rewrite by default;
# registering them here (before they are imported) keeps assertion messages detailed.
pytest.register_assert_rewrite("conveyor_runner.testing.contracts.queue",
                               "conveyor_runner.testing.contracts.compute",
                               "conveyor_runner.testing.contracts.codebase")
