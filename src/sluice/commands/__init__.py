"""Sub-commands of `sluice` kept out of `cli.py`, one module per command group; `cli.py` wires them."""
