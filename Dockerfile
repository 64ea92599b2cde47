# esgcheck in a container: docker build -t esgcheck . &&
#   docker run --rm -v "$PWD:/work" esgcheck check /work/filings
# The rule bases and schemas are package data, so they are inside the image.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LANG=C.UTF-8

# Only what the package is built from (see .dockerignore); the sources are
# removed once installed.
COPY pyproject.toml README.md /tmp/esgcheck/
COPY esgcheck /tmp/esgcheck/esgcheck
RUN pip install /tmp/esgcheck \
    && rm -rf /tmp/esgcheck \
    && useradd --create-home --uid 10001 --user-group esgcheck \
    && esgcheck rules lint

USER esgcheck
WORKDIR /work
ENTRYPOINT ["esgcheck"]
CMD ["--help"]
