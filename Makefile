# The two commands people run: `make demo` and `make test`. Each installs what it
# needs on first use and is quick once installed.
SHELL := /bin/bash
PY := .venv/bin/python
VENV_STAMP := .venv/.installed-stamp
KAFKA_STAMP := .data/kafka-libs/.installed-stamp
S3PROXY_STAMP := .data/s3proxy-libs/.installed-stamp
STUDIO_STAMP := api/studio_static/.built-stamp
STUDIO_SOURCES := $(shell find studio/src -type f 2>/dev/null) studio/index.html studio/package.json studio/package-lock.json studio/tsconfig.json studio/vite.config.ts

.PHONY: demo test lint install kafka-jars s3proxy-jars system-deps studio clean

demo: $(VENV_STAMP) $(KAFKA_STAMP) $(S3PROXY_STAMP) $(STUDIO_STAMP)
	.venv/bin/beatstitch demo

test: $(VENV_STAMP) $(KAFKA_STAMP) $(S3PROXY_STAMP) $(STUDIO_STAMP) system-deps
	.venv/bin/ruff check .
	.venv/bin/mypy
	cd studio && npm test --silent
	.venv/bin/pytest -q --durations=25

lint: $(VENV_STAMP)
	.venv/bin/ruff check .
	.venv/bin/mypy

install: $(VENV_STAMP) $(KAFKA_STAMP) $(S3PROXY_STAMP) $(STUDIO_STAMP)

$(VENV_STAMP): pyproject.toml
	test -x $(PY) || python3.11 -m venv .venv || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

kafka-jars: $(KAFKA_STAMP)

$(KAFKA_STAMP): kafka/pom.xml
	@# Maven's copy never deletes old jars; two Kafka versions on one classpath must not happen.
	rm -rf .data/kafka-libs
	mvn -q -B -Dstyle.color=never -f kafka/pom.xml dependency:copy-dependencies -DoutputDirectory=$(CURDIR)/.data/kafka-libs -DincludeScope=runtime
	touch $@

# S3Proxy: the local S3 server of `beatstitch storage start` and of the tests.
s3proxy-jars: $(S3PROXY_STAMP)

$(S3PROXY_STAMP): s3proxy/pom.xml
	@# As for Kafka: never two S3Proxy versions on one classpath.
	rm -rf .data/s3proxy-libs
	mvn -q -B -Dstyle.color=never -f s3proxy/pom.xml dependency:copy-dependencies -DoutputDirectory=$(CURDIR)/.data/s3proxy-libs -DincludeScope=runtime
	touch $@

# The studio (studio/: TypeScript, Preact, Vite) built into api/studio_static, which the API
# serves at / and the Python package ships; the type check runs in the build.
studio: $(STUDIO_STAMP)

$(STUDIO_STAMP): $(STUDIO_SOURCES)
	@command -v npm >/dev/null 2>&1 || { echo "The studio needs Node.js 20 and npm: install them (apt-get install nodejs npm) and run make again."; exit 1; }
	cd studio && npm ci --no-audit --no-fund --loglevel=error && npm run build
	touch $@

# kcat (a Kafka client nobody here wrote) and a PostgreSQL server for the tests.
system-deps:
	@bash scripts/install-system-deps.sh

clean:
	rm -rf .venv .data artifacts api/studio_static studio/node_modules
