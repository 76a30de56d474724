# newsbot in a container: the data (SQLite database, optional config.toml) lives in the /data volume and
# the token comes from the environment. These commands are the ones tests/deploy/test_deploy.py runs.
FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /data newsbot && install -d -o newsbot -g newsbot /data
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY summaries ./summaries
RUN pip install --no-cache-dir . && newsbot --version
USER newsbot
WORKDIR /data
VOLUME /data
ENV NEWSBOT_BOT__DATABASE=/data/newsbot.db PYTHONUNBUFFERED=1
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["newsbot", "status"]
CMD ["newsbot", "run"]
