"""A small ticketing API over https for the external-connector (Airbyte/Singer) tests."""
