# Enlace web image: also runs the worker, the scheduler and the migrations (compose.yaml).
# Build: docker build -t enlace .    Deployment: docs/deploy.md

# --- build: the pinned packages in a virtualenv, compiled translations, collected static files
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
# gettext's msgfmt compiles the Spanish translations; only this stage needs it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# Debug on only for these two commands (no secret key exists at build time); nothing is served.
RUN DJANGO_DEBUG=1 python manage.py compilemessages --ignore=.venv -v 0 \
    && DJANGO_DEBUG=1 python manage.py collectstatic --no-input -v 0 \
    && python -m compileall -q /app

# --- runtime: no compiler, no gettext, a non-root user
FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=registry.settings \
    PORT=8000 \
    ENLACE_BACKUP_DIR=/var/lib/enlace/backups
RUN groupadd --system --gid 10001 enlace \
    && useradd --system --uid 10001 --gid enlace --home-dir /app --shell /usr/sbin/nologin enlace \
    && mkdir -p /var/lib/enlace/backups \
    && chown enlace:enlace /var/lib/enlace/backups
COPY --from=build /opt/venv /opt/venv
# The code belongs to root and is read-only to the app; only the backups folder is writable.
COPY --from=build /app /app
WORKDIR /app
USER enlace
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["python", "deploy/healthcheck.py"]
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "registry.wsgi"]
