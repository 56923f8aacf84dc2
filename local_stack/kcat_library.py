"""A current librdkafka for kcat: the one confluent-kafka ships, in a folder kcat can load.

Debian's kcat links librdkafka 2.0.2, whose SCRAM client repeats the client nonce in its
final message; Kafka 4 checks the nonce strictly and refuses it (fixed in librdkafka 2.6.1).
kcat run with LD_LIBRARY_PATH set to this folder logs in with SCRAM like any other client.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import confluent_kafka


def librdkafka_dir(data_dir: Path) -> Path:
    """Return <data_dir>/librdkafka, holding librdkafka.so.1 (made on first use)."""
    shipped = sorted(
        (Path(confluent_kafka.__file__).parent.parent / "confluent_kafka.libs").glob(
            "librdkafka*.so*"
        )
    )
    if not shipped:
        raise FileNotFoundError("confluent-kafka ships no librdkafka here; reinstall it")
    folder = Path(data_dir).resolve() / "librdkafka"
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "librdkafka.so.1"
    if not link.exists() or link.resolve() != shipped[0].resolve():
        tmp = folder / f".librdkafka.so.1.{id(link)}"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(shipped[0])
        tmp.replace(link)
    return folder


def kcat_environment(data_dir: Path) -> dict[str, str]:
    """Environment variables that make kcat load the current librdkafka."""
    return {"LD_LIBRARY_PATH": str(librdkafka_dir(data_dir))}
