# The gridflow image: the worker and, in docker-compose.yml, the Prefect and MLflow servers too,
# all with the versions of requirements.lock (the ones the tests ran).
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    GRIDFLOW_HOME=/var/lib/gridflow \
    MLFLOW_DISABLE_TELEMETRY=true \
    PREFECT_SERVER_ANALYTICS_ENABLED=false
RUN pip install --no-cache-dir uv==0.13.9
# Dependencies first: this layer is rebuilt only when the lock changes.
COPY requirements.lock pyproject.toml README.md ./
RUN uv pip install --system --no-cache -r requirements.lock
COPY . .
# Editable: the worker's deployments enter /app (their pull step) and import flows/ from there.
RUN uv pip install --system --no-cache --no-deps -e . \
 && useradd --uid 1000 --create-home --shell /usr/sbin/nologin gridflow \
 && mkdir -p /var/lib/gridflow /mlartifacts \
 && chown gridflow:gridflow /var/lib/gridflow /mlartifacts
# Named volumes mounted here start with this ownership.
VOLUME ["/var/lib/gridflow"]
USER gridflow
CMD ["gridflow", "worker", "--deploy", "--healthcheck"]
