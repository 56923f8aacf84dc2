"""docker/ agrees with itself and with the code.

No Docker daemon is needed: the compose file, the Prometheus and Grafana files and the
Dockerfile are read as text and checked against the CLI, the settings classes and the metric
definitions they depend on. A real Compose parser validates the file when one is installed.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import typer
import yaml
from prometheus_client.metrics import MetricWrapperBase
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE_FILE = DOCKER / "compose.yaml"
SECRETS_EXAMPLE = DOCKER / "secrets.env.example"
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
PROMETHEUS: dict[str, Any] = yaml.safe_load((DOCKER / "prometheus/prometheus.yml").read_text())
DATASOURCES: dict[str, Any] = yaml.safe_load(
    (DOCKER / "grafana/provisioning/datasources/prometheus.yml").read_text()
)
PROVIDERS: dict[str, Any] = yaml.safe_load(
    (DOCKER / "grafana/provisioning/dashboards/dashboards.yml").read_text()
)
DASHBOARD_FILE = DOCKER / "grafana/dashboards/beatstitch-clips.json"
DASHBOARD: dict[str, Any] = json.loads(DASHBOARD_FILE.read_text())
README = (DOCKER / "README.md").read_text()
PYPROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())

# Metric modules the dashboard must cover, and those it may also draw on.
PIPELINE_METRIC_MODULES = ("agents.metrics", "projections.metrics")
OTHER_METRIC_MODULES = ("api.metrics",)
# Series Prometheus makes itself for every target.
PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
# Labels Prometheus attaches to every scraped series.
TARGET_LABELS = {"instance", "job"}
PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "and", "or", "unless", "offset", "inf", "nan",
}  # fmt: skip


# --- reading the files ---------------------------------------------------------------------


def env(service: str) -> dict[str, str]:
    raw = SERVICES[service].get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {k: str(v) for k, v in raw.items()}


def command(service: str) -> list[str]:
    cmd = SERVICES[service].get("command") or []
    return cmd.split() if isinstance(cmd, str) else list(cmd)


def mounts(service: str) -> list[tuple[str, str]]:
    """(source, container path) of each volume in the short syntax."""
    out = []
    for spec in SERVICES[service].get("volumes") or []:
        source, target = spec.split(":")[:2]
        out.append((source, target))
    return out


def host_path(service: str, container_path: str) -> Path | None:
    """The file in the repository that a bind mount shows at container_path, if any."""
    wanted = PurePosixPath(container_path)
    best: tuple[int, Path] | None = None
    for source, target in mounts(service):
        if not source.startswith((".", "/")):
            continue  # a named volume: no repository file behind it
        t = PurePosixPath(target)
        if wanted == t or t in wanted.parents:
            depth = len(t.parts)
            resolved = (DOCKER / source / wanted.relative_to(t)).resolve()
            if best is None or depth > best[0]:
                best = (depth, resolved)
    return best[1] if best else None


def installed_packages() -> list[str]:
    return [p.rstrip("*") for p in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]]


def services_running(cli_command: str) -> list[str]:
    return sorted(name for name in SERVICES if command(name)[:1] == [cli_command])


def metrics_port(service: str) -> int | None:
    """The port a service says it serves Prometheus metrics on; the API serves them itself."""
    e = env(service)
    ports = [v for k, v in e.items() if k.startswith("BEATSTITCH_") and k.endswith("METRICS_PORT")]
    if ports:
        return int(ports[0])
    if "BEATSTITCH_API_PORT" in e:
        return int(e["BEATSTITCH_API_PORT"])
    return None


def scrape_targets() -> Iterator[tuple[str, str, int]]:
    for job in PROMETHEUS["scrape_configs"]:
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                host, port = target.rsplit(":", 1)
                yield job["job_name"], host, int(port)


# --- PromQL in the dashboard ---------------------------------------------------------------


def dashboard_queries() -> list[str]:
    queries = []

    def walk(panels: list[dict[str, Any]]) -> None:
        for panel in panels:
            queries.extend(t["expr"] for t in panel.get("targets", []) if t.get("expr"))
            walk(panel.get("panels", []))

    walk(DASHBOARD["panels"])
    for var in DASHBOARD.get("templating", {}).get("list", []):
        query = var.get("query")
        query = query.get("query") if isinstance(query, dict) else query
        if var.get("type") == "query" and query:
            # label_values(SELECTOR, label): the selector is PromQL, the label is not.
            inner = re.fullmatch(r"\s*label_values\((.*),\s*\w+\s*\)\s*", query)
            queries.append(inner.group(1) if inner else query)
    return queries


def selector_labels(expr: str) -> set[str]:
    found = set(re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", expr))
    labels = {name.strip() for group in found for name in group.split(",") if name.strip()}
    for matchers in re.findall(r"\{([^}]*)\}", expr):
        labels |= set(re.findall(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)", matchers))
    return labels


def metric_names(expr: str) -> set[str]:
    """Series names in a PromQL expression: identifiers that are not functions or keywords."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values may hold anything
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # range and subquery durations
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\$\{?\w+\}?", " ", text)  # Grafana variables
    names = set()
    for m in re.finditer(r"(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?", text):
        if not m.group(2) and m.group(1).lower() not in PROMQL_WORDS:
            names.add(m.group(1))
    return names


def defined_metrics(modules: tuple[str, ...]) -> dict[str, set[str]]:
    """Every sample name the modules' metrics expose, mapped to the labels it can carry.

    Read from the metric objects, not from a scrape: a labelled metric exposes nothing
    before its first observation, but its names and labels are fixed when it is defined."""
    suffixes = {
        "counter": ("_total", "_created"),
        "gauge": ("",),
        "histogram": ("_bucket", "_sum", "_count", "_created"),
        "summary": ("", "_sum", "_count", "_created"),
    }
    out: dict[str, set[str]] = {}
    for module_name in modules:
        module = importlib.import_module(module_name)
        for obj in vars(module).values():
            if not isinstance(obj, MetricWrapperBase):
                continue
            labels = set(obj._labelnames)
            for family in obj.describe():
                for suffix in suffixes[family.type]:
                    out[family.name + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
    return out


# --- the tests -----------------------------------------------------------------------------


def test_the_readme_table_and_the_compose_services_are_the_same() -> None:
    section = README.split("## What runs where", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([\w-]+)` \|", section, re.MULTILINE))
    assert listed, "no service table found under '## What runs where' in docker/README.md"
    assert listed - set(SERVICES) == set(), "listed in docker/README.md but not in compose.yaml"
    assert set(SERVICES) - listed == set(), "in compose.yaml but not listed in docker/README.md"


def test_every_scrape_target_is_a_service_serving_metrics_on_that_port() -> None:
    targets = list(scrape_targets())
    assert targets
    for job, host, port in targets:
        assert host in SERVICES, f"{job}: {host}:{port} is not a compose service"
        assert metrics_port(host) == port, (
            f"{job}: scrapes {host}:{port}, but {host}'s environment serves metrics on "
            f"{metrics_port(host)}"
        )


def test_every_service_that_serves_metrics_is_scraped() -> None:
    scraped = {(host, port) for _, host, port in scrape_targets()}
    for name in SERVICES:
        port = metrics_port(name)
        if port is not None:
            assert (name, port) in scraped, f"{name} serves metrics on {port}; Prometheus misses it"


def test_every_worker_has_its_own_id_and_metrics_port() -> None:
    workers = services_running("worker")
    assert len(workers) >= 3, workers
    ids = [env(w).get("BEATSTITCH_WORKER_ID") for w in workers]
    assert ids == workers, "BEATSTITCH_WORKER_ID should name the service, so metrics say which"
    assert all(metrics_port(w) for w in workers)


def test_the_dashboard_queries_only_metrics_the_code_defines() -> None:
    defined = defined_metrics(PIPELINE_METRIC_MODULES + OTHER_METRIC_MODULES)
    queries = dashboard_queries()
    assert queries
    for expr in queries:
        names = metric_names(expr)
        assert names, f"no metric found in {expr!r}"
        unknown = names - set(defined) - PROMETHEUS_SERIES
        assert not unknown, f"{expr!r} uses {sorted(unknown)}; defined: {sorted(defined)}"
        allowed = TARGET_LABELS.union(*(defined.get(n, set()) for n in names))
        stray = selector_labels(expr) - allowed
        assert not stray, f"{expr!r} uses labels {sorted(stray)} that {sorted(names)} lack"


def test_the_dashboard_shows_every_worker_and_projector_metric() -> None:
    used = set().union(*(metric_names(q) for q in dashboard_queries()))
    for module_name in PIPELINE_METRIC_MODULES:
        module = importlib.import_module(module_name)
        for obj in vars(module).values():
            if isinstance(obj, MetricWrapperBase):
                family = obj.describe()[0]
                shown = {n for n in used if n == family.name or n.startswith(family.name + "_")}
                assert shown, f"{module_name}: {family.name} has no panel"


def test_the_histograms_are_read_through_their_buckets() -> None:
    for expr in dashboard_queries():
        for arg in re.findall(r"histogram_quantile\(\s*[\d.]+\s*,(.*)", expr):
            assert "_bucket" in arg, f"histogram_quantile without a _bucket series: {expr!r}"


def test_the_dashboard_uses_the_provisioned_data_source_and_scrape_jobs() -> None:
    (source,) = DATASOURCES["datasources"]
    assert source["url"] == "http://prometheus:9090" and "prometheus" in SERVICES

    def uids(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            ds = node.get("datasource")
            if isinstance(ds, dict) and "uid" in ds:
                yield ds["uid"]
            for value in node.values():
                yield from uids(value)
        elif isinstance(node, list):
            for value in node:
                yield from uids(value)

    assert set(uids(DASHBOARD)) == {source["uid"]}
    jobs = {job["job_name"] for job in PROMETHEUS["scrape_configs"]}
    for expr in dashboard_queries():
        for job in re.findall(r'\bjob\s*=\s*"([^"]*)"', expr):
            assert job in jobs, f"{expr!r}: no scrape job {job!r} in prometheus.yml"


def test_grafana_and_prometheus_see_their_files_where_they_look_for_them() -> None:
    assert host_path("prometheus", "/etc/prometheus/prometheus.yml") == (
        DOCKER / "prometheus/prometheus.yml"
    )
    provisioning = host_path("grafana", "/etc/grafana/provisioning")
    assert provisioning == DOCKER / "grafana/provisioning"
    (provider,) = PROVIDERS["providers"]
    dashboards = host_path("grafana", provider["options"]["path"])
    assert dashboards is not None, f"nothing is mounted at {provider['options']['path']}"
    assert dashboards / DASHBOARD_FILE.name == DASHBOARD_FILE
    home = env("grafana").get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    if home:
        assert host_path("grafana", home) == DASHBOARD_FILE


def test_the_workers_share_the_media_volume_with_the_api() -> None:
    def data_volume(service: str, path: str) -> tuple[str, str]:
        for source, target in mounts(service):
            if path == target or PurePosixPath(target) in PurePosixPath(path).parents:
                return source, target
        raise AssertionError(f"{service}: nothing mounted over {path}")

    api = env("api")
    media = data_volume("api", api["BEATSTITCH_MEDIA_DIR"])
    assert media[0] in (COMPOSE.get("volumes") or {}), "the media volume must be a named volume"
    assert data_volume("api", api["BEATSTITCH_ARTIFACTS_DIR"]) == media
    for worker in services_running("worker"):
        artifacts = env(worker)["BEATSTITCH_ARTIFACTS_DIR"]
        assert artifacts == api["BEATSTITCH_ARTIFACTS_DIR"], worker
        # Same volume at the same path: a path written into an event by the API opens in
        # every worker, and the worker's renders are where the API serves them from.
        assert data_volume(worker, artifacts) == media, worker
        assert data_volume(worker, api["BEATSTITCH_MEDIA_DIR"]) == media, worker


def test_every_command_and_setting_in_compose_exists_in_the_code() -> None:
    from cli.main import app

    commands = typer.main.get_group(app).commands
    known_env = set()
    for sub in commands.values():
        for param in sub.params:
            envvars = param.envvar if isinstance(param.envvar, list | tuple) else [param.envvar]
            known_env |= {e for e in envvars if e}
    for package in installed_packages():
        if not (ROOT / package / "settings.py").is_file():
            continue
        module = importlib.import_module(f"{package}.settings")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, BaseSettings) and obj is not BaseSettings:
                prefix = obj.model_config.get("env_prefix", "")
                known_env |= {f"{prefix}{field}".upper() for field in obj.model_fields}

    for name in SERVICES:
        if "build" not in SERVICES[name]:
            continue
        cmd = command(name)
        assert cmd and cmd[0] in commands, f"{name}: `beatstitch {cmd}` is no CLI command"
        # pydantic-settings ignores unknown variables, so a misspelt one fails silently.
        unknown = {k for k in env(name) if k.startswith("BEATSTITCH_")} - known_env
        assert not unknown, f"{name}: no setting or CLI option reads {sorted(unknown)}"


def test_the_image_installs_every_package_as_a_non_root_user() -> None:
    dockerfile = (DOCKER / "Dockerfile").read_text()
    for package in installed_packages():
        assert re.search(rf"^COPY {package} \./{package}$", dockerfile, re.MULTILINE), (
            f"pyproject.toml installs {package}/, but docker/Dockerfile does not copy it"
        )
    readme = PYPROJECT["project"].get("readme")
    if readme:
        assert re.search(rf"^COPY {readme} ", dockerfile, re.MULTILINE)
    for line in re.findall(r"^COPY (?!--from)(.*)$", dockerfile, re.MULTILINE):
        for source in line.split()[:-1]:
            assert (ROOT / source).exists(), f"COPY {source}: no such path in the repository"
    assert re.search(r"^RUN pip install --no-deps \.$", dockerfile, re.MULTILINE)
    assert "-e ." not in dockerfile and "[dev]" not in dockerfile
    users = re.findall(r"^USER (\S+)$", dockerfile, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert re.search(r'^ENTRYPOINT \["beatstitch"\]$', dockerfile, re.MULTILINE)
    ignored = (DOCKER / "Dockerfile.dockerignore").read_text().split()
    assert {".venv", ".data", ".git", "artifacts"} <= set(ignored)


def _compose_config_command(tmp_path: Path) -> list[str] | None:
    """A Compose CLI that can validate the file without a daemon, or None."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, timeout=10, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose", "--env-file", str(SECRETS_EXAMPLE), "-f", str(COMPOSE_FILE),
                    "config", "-q"]  # fmt: skip
    legacy = shutil.which("docker-compose")
    if legacy:
        # Compose 1.29 (Debian's docker-compose) predates the top-level `name`; everything
        # else in the file is in the schema it validates against.
        spec = {k: v for k, v in COMPOSE.items() if k != "name"}
        copy = tmp_path / "compose.yaml"
        copy.write_text(yaml.safe_dump(spec, sort_keys=False))
        return [legacy, "--env-file", str(SECRETS_EXAMPLE), "-f", str(copy),
                "--project-directory", str(DOCKER), "-p", COMPOSE.get("name", "beatstitch"),
                "config", "-q"]  # fmt: skip
    return None


def test_a_compose_cli_accepts_the_file(tmp_path: Path) -> None:
    cmd = _compose_config_command(tmp_path)
    if cmd is None:
        pytest.skip(
            "no Compose CLI: neither `docker compose` (v2 plugin) nor `docker-compose` "
            "(Debian's docker-compose 1.29) is installed; neither needs a daemon for `config`"
        )
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr or done.stdout


def test_kafka_takes_only_authenticated_clients_and_the_services_log_in() -> None:
    """The same model as the local broker: SASL listeners, the standard authorizer, nothing
    allowed without an ACL, and every BeatStitch service logging in as `service`."""
    kafka = env("kafka")
    assert "PLAINTEXT://" not in kafka["KAFKA_LISTENERS"].replace("SASL_PLAINTEXT://", "")
    assert kafka["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
    assert kafka["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert kafka["KAFKA_SUPER_USERS"] == "User:broker;User:service"
    assert "--command-config" in " ".join(SERVICES["kafka"]["healthcheck"]["test"])
    for name in ("api", "projector", "worker-1", "worker-2", "worker-3"):
        assert env(name)["BEATSTITCH_KAFKA_USERNAME"] == "service", name


def test_every_password_comes_from_the_env_file_and_nothing_is_open_to_anyone() -> None:
    """No password is written in compose.yaml; Grafana wants a login; Prometheus (whose API
    answers anyone) is reached by Grafana inside, not published on the host."""
    text = COMPOSE_FILE.read_text()
    example = dict(
        line.split("=", 1)
        for line in SECRETS_EXAMPLE.read_text().splitlines()
        if line and not line.startswith("#")
    )
    for name in example:
        assert f"${{{name}" in text, name
    assert "beatstitch:beatstitch@" not in text
    assert env("postgres")["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD")
    grafana = env("grafana")
    assert grafana["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert grafana["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD")
    assert "ports" not in SERVICES["prometheus"]
    assert "docker/.env" in (ROOT / ".gitignore").read_text().split()
