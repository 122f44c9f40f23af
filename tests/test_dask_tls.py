"""The deployment's Dask TLS: ``scripts/dask-certs`` makes certificates that ``distributed``'s
``Security`` accepts, configured the way docker-compose.yml configures it (``DASK_*``
variables), and a client without them cannot reach the scheduler."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import dask
import pytest
from distributed import Client, LocalCluster, Security

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("certs")
    subprocess.run([str(ROOT / "scripts" / "dask-certs"), str(folder)], check=True, timeout=120)
    return folder


def test_certificates_are_private_and_the_ca_key_is_gone(certs: Path) -> None:
    assert sorted(p.name for p in certs.iterdir()) == ["ca.pem", "dask-key.pem", "dask.pem"]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in certs.iterdir())
    before = (certs / "dask.pem").read_bytes()
    subprocess.run([str(ROOT / "scripts" / "dask-certs"), str(certs), "true"], check=True)
    assert (certs / "dask.pem").read_bytes() == before  # made once, then kept


def _compose_config(certs: Path) -> dict[str, object]:
    """The DASK_* settings of docker-compose.yml, with the certificate folder moved."""
    return {
        "distributed.comm.require-encryption": True,
        "distributed.comm.tls.ca-file": str(certs / "ca.pem"),
        **{
            f"distributed.comm.tls.{role}.{part}": str(certs / f"dask{suffix}.pem")
            for role in ("scheduler", "worker", "client")
            for part, suffix in (("cert", ""), ("key", "-key"))
        },
    }


def test_a_tls_cluster_runs_tasks_and_refuses_plaintext(certs: Path) -> None:
    with dask.config.set(_compose_config(certs)):
        security = Security()  # from the configuration alone, as in the containers
        assert security.require_encryption
        with (
            LocalCluster(
                n_workers=1, threads_per_worker=1, processes=False, protocol="tls",
                security=security, dashboard_address=None,
            ) as cluster,
            Client(cluster.scheduler_address, timeout=20) as client,
        ):  # fmt: skip
            assert cluster.scheduler_address.startswith("tls://")
            assert client.submit(sum, [1, 2, 3]).result(timeout=20) == 6
            plaintext = cluster.scheduler_address.replace("tls://", "tcp://")
            with pytest.raises((OSError, TimeoutError)):
                Client(plaintext, timeout=3, security=Security(require_encryption=False))
