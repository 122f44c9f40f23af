"""A health probe for containers: ``python -m escapesim.service.api.probe --addr HOST:PORT``.

It asks the standard gRPC health service (``grpc.health.v1.Health/Check``) whether the
server is ``SERVING`` and exits 0 if so, 1 if it answered anything else (``NOT_SERVING``
while it drains, or an unknown service) and 2 if it could not be reached in time.
Docker's ``HEALTHCHECK`` and compose's ``healthcheck`` run it inside the image, so it
needs nothing beyond the package's own dependencies (no grpcurl, no shell).

A server that speaks TLS is probed over TLS: ``--tls-ca`` (or ``$ESCAPESIM_PROBE_TLS_CA``)
names the certificate to trust, and ``--tls-server-name`` the name to check it against
when the probe dials an address the certificate does not name (``127.0.0.1`` inside a
container whose certificate names its public host).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

#: Exit codes: serving, answered but not serving, unreachable or failed.
SERVING, NOT_SERVING, UNREACHABLE = 0, 1, 2

DEFAULT_ADDR = "127.0.0.1:50051"


def check(
    addr: str,
    *,
    service: str = "",
    timeout: float = 3.0,
    token: str | None = None,
    tls_ca: Path | None = None,
    tls_server_name: str | None = None,
) -> int:
    """The exit code for the health of ``service`` ("" = the whole server) at ``addr``.

    With ``tls_ca`` the probe speaks TLS and trusts that certificate (bundle).
    """
    metadata = (("authorization", f"Bearer {token}"),) if token else None
    with _channel(addr, tls_ca, tls_server_name) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(
                health_pb2.HealthCheckRequest(service=service),
                timeout=timeout,
                metadata=metadata,
            )
        except grpc.RpcError as error:
            print(f"unhealthy: {error.code().name}: {error.details()}", file=sys.stderr)
            # NOT_FOUND: the server answered, it just does not know that service.
            return NOT_SERVING if error.code() == grpc.StatusCode.NOT_FOUND else UNREACHABLE
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    if reply.status != health_pb2.HealthCheckResponse.SERVING:
        print(f"unhealthy: {status}", file=sys.stderr)
        return NOT_SERVING
    print(status)
    return SERVING


def _channel(addr: str, tls_ca: Path | None, tls_server_name: str | None) -> grpc.Channel:
    if tls_ca is None:
        return grpc.insecure_channel(addr)
    credentials = grpc.ssl_channel_credentials(root_certificates=tls_ca.read_bytes())
    # The name the certificate is checked against, when it is not the dialled host.
    options = [("grpc.ssl_target_name_override", tls_server_name)] if tls_server_name else []
    return grpc.secure_channel(addr, credentials, options=options)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run one check."""
    parser = argparse.ArgumentParser(
        prog="python -m service.api.probe", description="Exit 0 if the gRPC server is SERVING."
    )
    parser.add_argument(
        "--addr",
        default=os.environ.get("ESCAPESIM_PROBE_ADDR", DEFAULT_ADDR),
        help=f"server address (default: $ESCAPESIM_PROBE_ADDR or {DEFAULT_ADDR})",
    )
    parser.add_argument("--service", default="", help="service name to check (default: server)")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds to wait (default 3)")
    parser.add_argument(
        "--tls-ca",
        type=Path,
        default=os.environ.get("ESCAPESIM_PROBE_TLS_CA") or None,
        help="speak TLS, trusting this certificate (default: $ESCAPESIM_PROBE_TLS_CA; "
        "unset: plaintext)",
    )
    parser.add_argument(
        "--tls-server-name",
        default=os.environ.get("ESCAPESIM_PROBE_TLS_SERVER_NAME") or None,
        help="the name the server's certificate must carry, when it is not the address's "
        "host (default: $ESCAPESIM_PROBE_TLS_SERVER_NAME)",
    )
    args = parser.parse_args(argv)
    if args.tls_ca is not None and not args.tls_ca.is_file():
        parser.error(f"--tls-ca / ESCAPESIM_PROBE_TLS_CA: {args.tls_ca} is not a readable file")
    token = os.environ.get("ESCAPESIM_TOKEN") or None
    return check(
        args.addr,
        service=args.service,
        timeout=args.timeout,
        token=token,
        tls_ca=args.tls_ca,
        tls_server_name=args.tls_server_name,
    )


if __name__ == "__main__":
    sys.exit(main())
