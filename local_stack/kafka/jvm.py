"""Kafka's JVM: finding Java and the jars, building its command lines, formatting storage.

The jars are the ones `make install` copies into `.data/kafka-libs` (see kafka/pom.xml).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import structlog

from local_stack.errors import KafkaBrokerError
from local_stack.kafka.properties import cluster_id_on_disk, kafka_uuid

log = structlog.get_logger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_LOG_CONFIG = REPO_ROOT / "kafka" / "log4j2.yaml"

BROKER_MAIN_CLASS = "kafka.Kafka"
# Kafka 4.x still ships the storage tool as the Scala object behind bin/kafka-storage.sh.
STORAGE_TOOL_MAIN_CLASS = "kafka.tools.StorageTool"

# Measured on the 2-core target (restart of a formatted broker, median of 3):
# G1 4.9 s, SerialGC 3.0 s, SerialGC + C1 only (TieredStopAtLevel=1) 2.2 s. With 2 cores, G1's
# and C2's background threads compete with the start-up itself; C1-only code was no slower
# on a create-20-topics / produce-20k / consume-5-groups workload because the Python clients,
# not the broker, are the bottleneck at this scale. The heap suits a single-node dev broker.
DEFAULT_BROKER_JVM_OPTS: tuple[str, ...] = (
    "-Xms256m",
    "-Xmx768m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
)
# The storage tool runs for about a second, so only start-up speed matters for it.
TOOL_JVM_OPTS: tuple[str, ...] = (
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
)

_KAFKA_JAR = re.compile(r"^kafka_2\.1[23]-(?P<version>.+)\.jar$")


def find_java(explicit: str | None = None) -> str:
    """Find java: the explicit path, then $JAVA_HOME/bin/java, then PATH."""
    if explicit:
        return explicit
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise KafkaBrokerError(
            "Java was not found (no $JAVA_HOME/bin/java and no `java` on PATH). Install "
            "a Java 17+ runtime (e.g. `apt-get install openjdk-17-jre-headless`) or set "
            "BEATSTITCH_KAFKA_BOOTSTRAP to use an existing Kafka cluster."
        )
    return found


def kafka_versions(libs_dir: Path) -> list[str]:
    """Return the Kafka versions of every kafka_2.1x-*.jar found in libs_dir."""
    if not libs_dir.is_dir():
        return []
    versions = []
    for jar in libs_dir.iterdir():
        match = _KAFKA_JAR.match(jar.name)
        if match:
            versions.append(match.group("version"))
    return sorted(versions)


def check_libs(libs_dir: Path) -> None:
    """Fail with the fix if the Kafka jars are missing or mixed from two versions."""
    versions = kafka_versions(libs_dir)
    if not versions:
        raise KafkaBrokerError(
            f"Kafka's jars are not installed in {libs_dir}. Run `make install` (or "
            "`make kafka-jars`) in the repository root to fetch them with Maven, or set "
            "BEATSTITCH_KAFKA_BOOTSTRAP to use an existing Kafka cluster."
        )
    if len(versions) > 1:
        # Maven's copy-dependencies never deletes old jars, so bumping the version in
        # kafka/pom.xml would otherwise put two Kafkas on one classpath.
        raise KafkaBrokerError(
            f"{libs_dir} holds jars of several Kafka versions ({', '.join(versions)}). "
            f"Delete that directory and run `make install` again."
        )


def java_command(
    java: str,
    jvm_opts: Sequence[str],
    log_config: Path | None,
    libs_dir: Path,
    main_class: str,
    *args: str,
    defines: Sequence[str] = (),
) -> list[str]:
    """Return the command line that runs one of Kafka's main classes from libs_dir."""
    # Java expands the classpath wildcard to every jar in libs_dir.
    classpath = str(libs_dir / "*")
    return [
        java,
        *jvm_opts,
        *_log_config_opts(log_config),
        *defines,
        "-cp",
        classpath,
        main_class,
        *args,
    ]


def _log_config_opts(log_config: Path | None) -> list[str]:
    """Return the -D options that point log4j2 at our config, if it exists."""
    if log_config is not None and log_config.is_file():
        return [f"-Dlog4j2.configurationFile={log_config}"]
    log.warning("kafka.log_config.missing", path=str(log_config))
    return []


def format_storage(
    java: str,
    libs_dir: Path,
    log_config: Path | None,
    data_dir: Path,
    properties_file: Path,
    log_dir: Path,
    cluster_id: str | None = None,
) -> str:
    """Format log_dir with Kafka's StorageTool unless it already has been; return its cluster id.

    Every node of one cluster must be formatted with the same `cluster_id`; a single broker
    passes none and gets a new one."""
    on_disk = cluster_id_on_disk(log_dir)
    if on_disk is not None:
        return on_disk
    cluster_id = cluster_id or kafka_uuid()
    cmd = java_command(
        java,
        TOOL_JVM_OPTS,
        log_config,
        libs_dir,
        STORAGE_TOOL_MAIN_CLASS,
        "format",
        "--config",
        str(properties_file),
        "--cluster-id",
        cluster_id,
    )
    started = time.monotonic()
    result = subprocess.run(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=data_dir,
        check=False,
    )
    output = result.stdout.decode("utf-8", errors="replace").strip()
    if result.returncode != 0:
        raise KafkaBrokerError(
            f"Kafka's storage tool could not format {log_dir} (exit code "
            f"{result.returncode}); its output says why. If the directory is damaged, delete "
            f"{data_dir} to start from scratch. Output:\n"
            f"{output}"
        )
    log.info(
        "kafka.storage.formatted",
        log_dir=str(log_dir),
        cluster_id=cluster_id,
        seconds=round(time.monotonic() - started, 2),
    )
    return cluster_id
