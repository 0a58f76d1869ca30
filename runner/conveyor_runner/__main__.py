"""``python -m conveyor_runner`` runs the ``conveyor`` command line."""

from conveyor_runner.cli import main

raise SystemExit(main())
