FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var MEDIA_ROOT=/app/media
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends curl procps && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN python scripts/compile_messages.py \
    && SECRET_KEY=build-only python manage.py collectstatic --no-input \
    && useradd --create-home --uid 1000 admin24 && mkdir -p var media && chown -R admin24 var media
USER admin24
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
