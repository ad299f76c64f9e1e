FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md ./
COPY moderation ./moderation
COPY sql ./sql
RUN pip install -e .
EXPOSE 8080
CMD ["moderation", "serve"]
