# Build stage: install the package and its dependencies into a virtual environment.
# Both stages use one pinned base (Python patch release and Debian release): the venv copied
# below runs the build stage's interpreter path and its wheels were chosen for that glibc.
# Append @sha256:<digest> to both for a byte-reproducible base.
FROM python:3.11.14-slim-bookworm AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY pyproject.toml README.md hotline_cli.py ./
COPY models ./models
COPY service ./service
COPY training ./training
COPY fairness ./fairness
RUN /opt/venv/bin/pip install .

# Runtime stage: no compilers, no sources beyond the installed package, a non-root user.
# MPLCONFIGDIR: matplotlib (under rdrobust, for threshold-near) needs a writable directory,
# and the user's home /app is not; without it each process warns and makes a temporary one.
FROM python:3.11.14-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OMP_NUM_THREADS=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    HOTLINE_HOST=0.0.0.0 \
    HOTLINE_REGISTRY_DIR=/var/lib/hotline/registry \
    HOTLINE_DIRECTORY_PATH=/app/data/directory
RUN useradd --system --uid 10001 --home-dir /app hotline \
    && mkdir -p /var/lib/hotline/registry \
    && chown -R hotline /var/lib/hotline
COPY --from=build /opt/venv /opt/venv
COPY data/directory /app/data/directory
WORKDIR /app
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status == 200 else 1)"]
CMD ["hotline", "serve"]
