# The sandbox as a container. `docker run -p 8000:8000 bank-sandbox` alone serves on the
# embedded SQLite database; docker-compose.yml runs `init-db`, gunicorn and the webhook worker
# against PostgreSQL and Redis instead.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first (read from pyproject.toml), so editing the code does not reinstall them;
# the client extra is for compose's demo-app service (`bank-client serve`).
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['server'] \
+ p['optional-dependencies']['redis'] + p['optional-dependencies']['client']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

# A regular (not editable) install, as users get it: the seeds/ catalogue goes into the
# package as sandbox/_seeds. The source is removed again, so `python -m sandbox` in /app can
# only import the installed package. Flask's instance folder of an installed package is
# $PREFIX/var/sandbox-instance; it holds the SQLite file, keys and secret key.
COPY README.md pyproject.toml /tmp/src/
COPY sandbox /tmp/src/sandbox
COPY client /tmp/src/client
COPY seeds /tmp/src/seeds
RUN pip install --no-deps /tmp/src \
    && rm -rf /tmp/src /app/pyproject.toml \
    && useradd --system --home-dir /app sandbox \
    && mkdir -p /usr/local/var/sandbox-instance \
    && chown sandbox /usr/local/var/sandbox-instance

USER sandbox
EXPOSE 8000

CMD ["python", "-m", "sandbox", "serve", "--host", "0.0.0.0", "--port", "8000"]
