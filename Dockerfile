# Hotline for production: gunicorn by default; docker-compose.yml runs the same image as the
# migrate job, the Celery worker and Celery beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --system --create-home --uid 10001 hotline
WORKDIR /app

# Dependencies first, read from pyproject.toml, so that a code change rebuilds only the layers
# below. No dev extras: tests and linters stay out of the image.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

COPY . .
# Editable, so the code runs from /app, where settings find templates/ and static/.
RUN pip install --no-deps -e .

# Settings refuse to load without their keys when DEBUG is off. These exist only for this step
# (collectstatic reads no data) and are not kept in the image; the real keys come from the
# deployment.
RUN mkdir -p var \
 && DEBUG=0 SECRET_KEY=build-only-collectstatic-key-never-used-to-sign-anything \
      HOTLINE_ENCRYPTION_KEYS=YnVpbGQtb25seS1jb2xsZWN0c3RhdGljLWtleS0zMmI= \
      HOTLINE_HASH_KEY=build-only-collectstatic-hash-key-never-used \
      python manage.py collectstatic --noinput --verbosity 0 \
 && chown -R hotline:hotline var

USER hotline
EXPOSE 8000
# gunicorn.conf.py (read from /app) keeps query strings and referrers out of the access log.
CMD ["gunicorn", "hotline.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
