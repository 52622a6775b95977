"""A fake GitHub REST API v3 (repositories, issues, pull requests, commits, branches; OAuth token
endpoint) for Sluice's GitHub data path tests. See app.py for the docs it follows."""
