# escapesim: one image for the gRPC API, the Dask scheduler and the Dask workers.
#
#   docker build -t escapesim .                      # from the official Python image
#   docker build --build-arg BASE_IMAGE=escapesim-base:bookworm -t escapesim .
#
# BASE_IMAGE needs python3 (>= 3.11) with the venv module; scripts/compose-smoke builds
# such a base locally with mmdebstrap when no registry can be reached.
ARG BASE_IMAGE=python:3.11-slim-bookworm

# -- build: a virtual environment with the package and its dependencies ------------------
FROM ${BASE_IMAGE} AS build
# pip verifies TLS against this bundle (a build behind a TLS-inspecting proxy passes a
# base image whose bundle includes the proxy's CA).
ARG PIP_CERT=/etc/ssl/certs/ca-certificates.crt
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_CERT=${PIP_CERT}
RUN python3 -m venv /opt/escapesim \
 && /opt/escapesim/bin/python -m pip install --upgrade pip
WORKDIR /src
# Every dependency (and the build backend) at the version and hash of the checked-in lock
# (`make lock` regenerates it from pyproject.toml): the same image from the same commit.
COPY requirements/image.lock ./requirements/
RUN /opt/escapesim/bin/python -m pip install --require-hashes --no-deps -r requirements/image.lock
COPY pyproject.toml README.md LICENSE ./
COPY engine ./engine
COPY service ./service
# escapesim/engine and escapesim/service are symbolic links to the two folders above.
COPY escapesim ./escapesim
RUN /opt/escapesim/bin/python -m pip install --no-deps --no-build-isolation . \
 && /opt/escapesim/bin/python -m pip check \
 && /opt/escapesim/bin/python -m compileall -q /opt/escapesim

# -- runtime: the environment alone, no compilers, no sources, not root ------------------
FROM ${BASE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="escapesim" \
      org.opencontainers.image.description="Stochastic tumour-immune dynamics, served over gRPC" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN useradd --system --uid 10001 --user-group --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin escapesim \
 && mkdir -p /data /certs \
 && chown escapesim:escapesim /data /certs \
 && chmod 0700 /data /certs
COPY --from=build /opt/escapesim /opt/escapesim
# The Dask cluster's TLS certificates, made at the scheduler's first start, and the
# entrypoint that seeds the writable caches (the files are executable in git, and COPY
# keeps their mode).
COPY scripts/dask-certs scripts/seed-caches /opt/escapesim/bin/
# numba only uses a cache directory it can write to; compose runs a read-only root with a
# tmpfs at /var/cache/escapesim, which scripts/seed-caches fills from the image at start.
ENV PATH=/opt/escapesim/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NUMBA_CACHE_DIR=/var/cache/escapesim/numba \
    ESCAPESIM_SBML_CACHE=/var/cache/escapesim/sbml \
    MPLCONFIGDIR=/tmp/matplotlib \
    ESCAPESIM_ADDR=0.0.0.0:50051 \
    ESCAPESIM_DATA=/data
# Listening on 0.0.0.0 without ESCAPESIM_TOKENS_FILE, the server refuses to start unless
# ESCAPESIM_INSECURE=1 says that is intended (docs/deployment.md).
# Compile the kernel loop and every preset's rate laws now, into the seed of numba's disk
# cache (keyed to these very files), so no container pays ~40 s of compilation at its
# first run. /var/cache/escapesim belongs to the service user for `docker run` without a
# tmpfs (the seed is copied there at the first start).
RUN NUMBA_CACHE_DIR=/opt/escapesim/numba-seed \
        python -c "from escapesim.service.workers.batches import warm_up; warm_up()" \
 && mkdir -p /var/cache/escapesim \
 && chown escapesim:escapesim /var/cache/escapesim \
 && chmod 0700 /var/cache/escapesim
USER escapesim
WORKDIR /data
VOLUME ["/data"]
EXPOSE 50051
# The API's health (docker-compose.yml gives the Dask services their own checks).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "escapesim.service.api.probe", "--addr", "127.0.0.1:50051"]
ENTRYPOINT ["seed-caches", "escapesim"]
CMD ["serve"]
