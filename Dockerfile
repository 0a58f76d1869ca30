# The Conveyor control-plane image: `conveyor up` on /data, as a non-root user.
#
#   docker build -t <registry>/conveyor:<version> .
#   docker run -p 7979:7979 -v conveyor-data:/data <registry>/conveyor:<version>
#
# The same image runs the replicas of user services: the control plane starts them as
# subprocesses with this interpreter (the `local` compute backend), so user packages get
# exactly the Python and libraries installed here.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed UID/GID, matching the Helm chart's securityContext (runAsUser/fsGroup 10001).
RUN groupadd --system --gid 10001 conveyor \
    && useradd --system --uid 10001 --gid conveyor --home-dir /data/home --no-create-home conveyor

WORKDIR /src
COPY . .
# PostgreSQL and RabbitMQ drivers are included so one image serves the embedded default
# and the distributed setup alike; the source tree is not needed once installed.
RUN pip install ".[postgres,rabbitmq]" \
    && cd / && rm -rf /src \
    && mkdir -p /data/home \
    && chown -R conveyor:conveyor /data

# The data directory: SQLite database, embedded queue, item binaries, replica homes, and
# the administrator's login file (CONVEYOR_HOME), so `conveyor token` works in the container.
ENV CONVEYOR_HOME=/data/home \
    HOME=/data/home
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
EXPOSE 7979

# Liveness for plain `docker run` (Kubernetes uses the chart's own probes instead).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:7979/healthz', timeout=4)"]

CMD ["conveyor", "up", "--host", "0.0.0.0", "--port", "7979", "--data-dir", "/data"]
