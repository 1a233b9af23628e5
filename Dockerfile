# sco-bot as a container: the wheel is built in one stage and installed, with its dependencies,
# into a virtual environment of a slim image that runs as a non-root user.
#   docker build -t sco-bot . && docker run --env-file .env -p 3000:3000 sco-bot
# tests/system/test_shipping_install.py replays these steps without Docker (keep them plain shell).

FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV VIRTUAL_ENV=/opt/sco-bot \
    PATH=/opt/sco-bot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SCO_STATE_DIR=/var/lib/sco-bot \
    SCO_CACHE_DIR=/var/lib/sco-bot/cache \
    SCO_LOG_FORMAT=json
COPY --from=build /wheels /wheels
RUN python -m venv /opt/sco-bot && /opt/sco-bot/bin/pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
RUN useradd --system --uid 10001 --home-dir /var/lib/sco-bot --create-home sco-bot
USER sco-bot
WORKDIR /var/lib/sco-bot
EXPOSE 3000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status != 200)"]
CMD ["sco-bot", "serve", "--host", "0.0.0.0", "--port", "3000"]
