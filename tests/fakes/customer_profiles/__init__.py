"""A fake Amazon Connect Customer Profiles API (REST-JSON, SigV4), for the Customer Profiles destination tests.

Follows the API reference, https://docs.aws.amazon.com/customerprofiles/latest/APIReference/ and
the service model botocore ships (`customer-profiles` 2020-08-15): `state.py` holds domains,
object types and profile objects; `auth.py` checks each request's SigV4 signature; `app.py` routes
the operations the destination uses; `server.py` runs it over https.
"""
