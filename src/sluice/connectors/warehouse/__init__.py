"""What the warehouse destinations share (connectors layer): conform, stage in S3, load once.

Redshift and Snowflake load the way AppFlow loads them: the run's records are staged as Parquet
objects in an S3 bucket the profile names, then the warehouse's own bulk load (`COPY`) reads them
in one transaction. This package holds everything that is the same for both:

* `columns.Column` - one column of the target table, as the connector read it from the database;
* `conform.Conformer` - matches a batch's fields to the table's columns and casts the values,
  setting aside the rows the table would refuse (a value of the wrong type, a string longer than
  the column, a null in a NOT NULL column) with a message naming the column;
* `staging.StagedParts` - the Parquet parts under `s3://<bucket>/<prefix>/<executionId>/`;
* `destination.WarehouseDestination` - the `Destination` protocol on top of those three; a
  connector adds only `_load`, its bulk load of the staged parts.
"""

from sluice.connectors.warehouse.columns import Column
from sluice.connectors.warehouse.destination import Staged, WarehouseDestination, cleanup_staged

__all__ = ["Column", "Staged", "WarehouseDestination", "cleanup_staged"]
