"""tunegate's gate suites: run with `pytest suites/ --candidate DIR`."""
