# The site's image: gunicorn by default; the worker and the one-off migrate run the same
# image with another command (compose.yaml). Build: `docker build -t meiduo-accounts .`

# --- Front-end packages (Vue, Swagger UI) from npm, as package-lock.json pins them: the
# slim Python image has no Node.js, so they are installed in a stage of their own.
FROM node:22-slim AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts

# --- The site.
FROM python:3.11-slim
# PYTHONPATH: the checkout in /app (templates/, static/, node_modules/ beside the code) is
# what runs, ahead of the copy that `pip install .` puts in site-packages.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_DEBUG=0 \
    PORT=8000
WORKDIR /app

# The dependencies first, from pyproject.toml alone: this layer is rebuilt only when they
# change, not on every edit of the code.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
COPY --from=frontend /build/node_modules ./node_modules
# The site's own package; the translations, compiled as ./run compiles them (the .mo files
# are not committed); the static files, once, at build: WhiteNoise serves them under the
# manifest's hashed names. The settings want a secret key and a Redis URL to load;
# collectstatic uses neither, so build-only values that no running container ever sees.
# Last, the user the site runs as and its metrics folder.
RUN pip install --no-deps . \
    && python scripts/compile_messages.py \
    && DJANGO_SECRET_KEY=collectstatic-at-build-only REDIS_URL=redis://build-only:6379/0 \
       python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin meiduo \
    && install -d -o meiduo -g meiduo /var/lib/meiduo/metrics

# Nothing in /app is the user's to write: the code and static files stay as built. Its
# one writable folder is for the metrics' files (PROMETHEUS_MULTIPROC_DIR, compose.yaml).
USER meiduo
EXPOSE 8000

# Liveness: gunicorn answers (no service is asked). compose.yaml asks /readyz instead.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "scripts/healthcheck.py", "/healthz"]

# gunicorn.conf.py (read from /app): 0.0.0.0:$PORT, workers from WEB_CONCURRENCY or the
# cores, graceful stop within 25 s (give `docker stop` -t 30; compose.yaml does).
CMD ["gunicorn", "meiduo_mall.wsgi:application"]
