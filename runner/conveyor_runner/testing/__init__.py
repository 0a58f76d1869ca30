"""Test kit shipped with the runner: fixtures, stubs and the plugin contract suites."""
