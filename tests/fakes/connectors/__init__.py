"""Custom connectors for tests, written with AppFlow's Custom Connector SDK (plus deliberately broken ones)."""
