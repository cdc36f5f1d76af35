# The gateway (and, in docker-compose.sim.yml, the simulator and edge agents): this package, installed with pip.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
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
