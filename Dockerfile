# The sandbox as a container: `docker compose up` runs it on PostgreSQL under gunicorn.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so editing the code does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir -p sandbox client \
    && touch sandbox/__init__.py client/__init__.py \
    && pip install '.[server,redis]' \
    && pip uninstall -y bank-sandbox

COPY sandbox ./sandbox
COPY client ./client
COPY seeds ./seeds
# Editable, so the package finds the catalogue in /app/seeds next to it
# (seeds/ is data beside the package, not inside it).
RUN pip install --no-deps -e . \
    && useradd --system --home-dir /app sandbox \
    && mkdir -p instance \
    && chown sandbox instance

USER sandbox
EXPOSE 8000

# `docker run` alone: one process on the embedded SQLite database. docker-compose.yml
# runs `init-db` and gunicorn against PostgreSQL instead.
CMD ["python", "-m", "sandbox", "serve", "--host", "0.0.0.0", "--port", "8000"]
