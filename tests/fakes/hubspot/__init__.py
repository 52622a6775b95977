"""A fake HubSpot account (CRM v3 objects, search, batch writes, properties, owners, v4 association
labels, OAuth 2.0 token refresh) for the HubSpot data path's tests; see `state.py` for the doc URLs."""
