"""Tests of the example connectors under examples/."""
