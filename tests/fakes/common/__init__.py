"""What every vendor fake shares: serving an ASGI app over TLS on 127.0.0.1, and a request log."""
