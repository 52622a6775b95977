"""`python -m tests.fakes.redshift --port N --pg-port P --s3 URL`: serve the Redshift Data API stand-in over https.

Statements run on the PostgreSQL server at 127.0.0.1:P; COPY from S3 reads from the S3 endpoint
URL (moto). Prints the URL and the test CA to trust.
"""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever
from tests.support.tls import certificates

from .app import build_app
from .state import RedshiftDataState


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.redshift", description=__doc__)
    parser.add_argument("--port", type=int, default=9444)
    parser.add_argument("--pg-port", type=int, required=True)
    parser.add_argument("--s3", required=True, help="the S3 endpoint URL (moto)")
    parser.add_argument("--cluster", default="sluice-test")
    args = parser.parse_args(argv)
    state = RedshiftDataState(args.pg_port, args.s3, clusters=(args.cluster,))
    ca = certificates().ca_file
    print(f"fake Redshift Data API: serving https://127.0.0.1:{args.port} (trust {ca})", flush=True)
    serve_forever(build_app(state), args.port)


if __name__ == "__main__":
    main()
