"""A Snowflake stand-in (fakesnow's server, a login check, external stages read from moto's S3); see standin.py."""

from tests.fakes.snowflake.standin import INCORRECT_LOGIN, SnowflakeStandIn

__all__ = ["INCORRECT_LOGIN", "SnowflakeStandIn"]
