# newsbrief: the Telegram bot in a container. Build: docker build -t newsbrief .
# Run (SQLite in the /data volume):
#   docker run -d --name newsbrief --env-file .env -v newsbrief-data:/data newsbrief
# With PostgreSQL: compose.yaml. The RUN steps are the scripts in deploy/, which
# tests/test_deploy.py runs in a fresh venv in CI (no container engine needed), so they cannot rot.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY . /src
RUN sh /src/deploy/install.sh /src /opt/newsbrief

FROM python:3.11-slim-bookworm
ENV PATH=/opt/newsbrief/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    NEWSBRIEF_DATABASE_URL=sqlite:////data/newsbrief.db \
    NEWSBRIEF_INBOX=/data/inbox
# A dedicated unprivileged user owns the data; the program's files stay root's (read-only to it).
RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin newsbrief \
    && mkdir -p /data/inbox && chown -R newsbrief:newsbrief /data
COPY --from=build /opt/newsbrief /opt/newsbrief
COPY deploy/warm.sh /opt/newsbrief/warm.sh
USER newsbrief
# jieba's dictionary cache lands in /tmp (owned by this user) inside the image.
RUN sh /opt/newsbrief/warm.sh /opt/newsbrief
WORKDIR /data
VOLUME ["/data"]
# Healthy = the database answers at the schema head and the running bot holds its instance lock.
HEALTHCHECK --interval=60s --timeout=30s --start-period=60s --retries=3 \
    CMD ["newsbrief", "doctor", "--running", "--only", "database,migrations,lock"]
CMD ["newsbrief", "run"]
