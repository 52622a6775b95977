"""Tests for sluice.scheduler."""
