"""Sub-commands of `sluice` kept out of `cli.py`, one module per command group (`cli.py` wires them): `sluice flows` /
`sluice runs` (clients of a server's API) and `sluice webhooks` (administration)."""
