FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml requirements.txt README.md ./
COPY moderation ./moderation
COPY sql ./sql
# The runtime dependencies at the versions the suite passed with (the lock also pins the test
# extras, which are not installed here).
RUN pip install -c requirements.txt -e .
EXPOSE 8080
CMD ["moderation", "serve"]
