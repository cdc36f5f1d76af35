# The gateway (and, in docker-compose.sim.yml, the simulator and edge agents): this package, installed with pip.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# Gammu for the farm's USB modem: gammu-smsd runs as the stack's smsd service; the gateway dials ring calls with
# gammu and reads SMSD's status with gammu-smsd-monitor. About 15-20 MB with the libraries the slim image lacks.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gammu gammu-smsd \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY contract contract
COPY agronomy agronomy
COPY edge edge
COPY firmware_sim firmware_sim
COPY gateway gateway
COPY greenhouse greenhouse
COPY rules rules
COPY desk desk
RUN pip install . && rm -rf /src
WORKDIR /data
# Root in the container: the gateway's data dir is bind-mounted from the host (stack/gateway-data), where
# 'greenhouse init' and 'greenhouse users' write its accounts file as the technician's user.
ENTRYPOINT ["greenhouse"]
CMD ["--help"]
