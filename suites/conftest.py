"""Fixtures shared by the suites; the plugin (harness.plugin) supplies `tunegate`, `candidate` and `baseline`."""
