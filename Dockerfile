# One image for web, worker and beat (compose.yaml; docs/operations.md).
#
# Locked install: requirements.lock pins every package, with hashes, from pyproject.toml's
# pins (regenerate with `make lock`); pip refuses anything whose hash differs.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /venv
COPY requirements.lock /tmp/requirements.lock
RUN /venv/bin/pip install --require-hashes --no-deps -r /tmp/requirements.lock

FROM python:3.11-slim AS runtime
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production PORT=8000
RUN useradd --create-home --uid 1000 paperboy
COPY --from=build /venv /venv
WORKDIR /app
COPY --chown=paperboy:paperboy manage.py ./
COPY --chown=paperboy:paperboy config config
COPY --chown=paperboy:paperboy subscriptions subscriptions
COPY --chown=paperboy:paperboy ranking ranking
COPY --chown=paperboy:paperboy emails emails
COPY --chown=paperboy:paperboy templates templates
COPY --chown=paperboy:paperboy static static
COPY --chown=paperboy:paperboy docker docker
# collectstatic needs settings but no secrets or services: throwaway values, build time only.
RUN SECRET_KEY=collectstatic-only ALLOWED_HOSTS=build SITE_URL=https://build.invalid \
    DEFAULT_FROM_EMAIL=build@build.invalid \
    python manage.py collectstatic --noinput -v 0 \
 && mkdir -p /app/var && chown paperboy:paperboy /app/var
USER paperboy
EXPOSE 8000
# The web container's check; worker and beat override it in compose.yaml (check_worker,
# check_beat). /healthz answers 503 only when the database or Redis is down.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]
CMD ["docker/start-web"]
