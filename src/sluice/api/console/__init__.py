"""The web console served at /console by `sluice serve` (API layer; see docs/console.md)."""
