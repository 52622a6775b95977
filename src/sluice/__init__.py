"""Sluice: a self-hosted data-flow service that speaks the Amazon AppFlow API."""

__version__ = "0.1.0"
