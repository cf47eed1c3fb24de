"""`tunegate demo`: the whole product, offline, on the embedded ICD-10 coding domain (data in `data.py`, the
steps in `run.py`). Only the CLI imports this package; the gate never does."""

from harness.demo.run import run_demo

__all__ = ["run_demo"]
