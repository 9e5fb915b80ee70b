# One image for web, worker and beat (see compose.yaml and docs).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY config config
COPY subscriptions subscriptions
COPY ranking ranking
COPY emails emails
# Exact pins in pyproject.toml make this install reproducible.
RUN /venv/bin/pip install .

FROM python:3.11-slim AS runtime
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production PORT=8000
RUN useradd --create-home --uid 1000 paperboy
COPY --from=build /venv /venv
WORKDIR /app
COPY --chown=paperboy:paperboy . .
# collectstatic needs settings but no secrets or services: give it throwaway values.
RUN SECRET_KEY=collectstatic ALLOWED_HOSTS=build SITE_URL=https://build.invalid \
    python manage.py collectstatic --noinput -v 0
USER paperboy
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request,os; urllib.request.urlopen('http://127.0.0.1:%s/admin/login/' % os.environ.get('PORT','8000'), timeout=4)"
CMD ["docker/start-web"]
