"""sluice.commands: the `sluice flows` and `sluice runs` commands, clients of a server's API (CLI layer)."""
