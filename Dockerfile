# The API image for docker-compose.yml: Colophon installed into a slim Python.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY api ./api
COPY models ./models
COPY migrations ./migrations
RUN pip install . && useradd --system --home /app colophon
USER colophon
EXPOSE 8000
CMD ["colophon", "serve", "--host", "0.0.0.0", "--port", "8000"]
