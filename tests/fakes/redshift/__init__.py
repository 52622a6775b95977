"""A Redshift stand-in for the tests: PostgreSQL as the SQL engine, plus what PostgreSQL lacks.

* `copy.py` - Redshift's `COPY t (cols) FROM 's3://bucket/prefix' IAM_ROLE '...' FORMAT AS PARQUET`,
  executed by reading every object under the prefix from (moto's) S3 with pyarrow and feeding the
  rows to PostgreSQL's `COPY ... FROM STDIN` on the same transaction.
* `state.py` / `app.py` - the Redshift Data API (`redshift-data`, JSON 1.1, `X-Amz-Target:
  RedshiftData.<Operation>`), running each statement on PostgreSQL in a background thread.
* `python -m tests.fakes.redshift` serves the Data API in the foreground (the benchmark).

Documented behaviour followed (in our own words):
https://docs.aws.amazon.com/redshift-data/latest/APIReference/Welcome.html (operations, the
`<id>:<n>` sub-statement ids of a batch, statuses SUBMITTED/PICKED/STARTED/FINISHED/ABORTED/FAILED,
the error `__type`s), https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html (a batch runs
as one transaction; results are fetched with GetStatementResult) and
https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-copy-from-columnar.html (COPY from
Parquet maps file columns to the column list by position and loads every object under the prefix).
What the stand-in cannot show is listed in docs/connectors/redshift.md.
"""
