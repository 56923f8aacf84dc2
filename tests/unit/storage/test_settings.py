"""Storage settings: what is accepted, and the sentence a user reads for what is not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from storage.filesystem import FilesystemStore
from storage.open_store import open_store
from storage.settings import FileLocation, S3Location, StorageSettings, parse_storage_url

CREDENTIALS: dict[str, Any] = {
    "s3_access_key_id": "key",
    "s3_secret_access_key": SecretStr("secret"),
}


@pytest.fixture(autouse=True)
def no_storage_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [*StorageSettings.model_fields, "data_dir"]:
        monkeypatch.delenv(f"BEATSTITCH_{name.upper()}", raising=False)


def refusal(**values: Any) -> str:
    with pytest.raises(ValidationError) as refused:
        StorageSettings(**values)
    return str(refused.value)


def test_the_defaults_are_the_local_folders_and_a_bounded_cache() -> None:
    settings = StorageSettings()
    assert settings.location() is None
    assert settings.storage_cache_dir == Path(".data/cache")
    assert settings.storage_cache_max_bytes == 5 * 1024**3
    assert settings.presigned_url_ttl_s == 300
    assert settings.s3_region == "us-east-1"


def test_the_cache_follows_the_data_dir_unless_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEATSTITCH_DATA_DIR", "/srv/beatstitch")
    assert StorageSettings().storage_cache_dir == Path("/srv/beatstitch/cache")
    monkeypatch.setenv("BEATSTITCH_STORAGE_CACHE_DIR", "/fast/cache")
    assert StorageSettings().storage_cache_dir == Path("/fast/cache")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEATSTITCH_STORAGE_URL", "s3://media-bucket/beatstitch/prod")
    monkeypatch.setenv("BEATSTITCH_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("BEATSTITCH_S3_ACCESS_KEY_ID", "local-identity")
    monkeypatch.setenv("BEATSTITCH_S3_SECRET_ACCESS_KEY", "local-credential")
    settings = StorageSettings()
    assert settings.location() == S3Location("media-bucket", "beatstitch/prod")
    assert settings.s3_endpoint_url == "http://127.0.0.1:9000"
    assert "local-credential" not in repr(settings), "the secret is never printed"


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("", None),
        ("file:///srv/beatstitch", FileLocation(Path("/srv/beatstitch"))),
        ("file://localhost/srv/a%20b", FileLocation(Path("/srv/a b"))),
        ("s3://bucket", S3Location("bucket", "")),
        ("s3://my.bucket-1/", S3Location("my.bucket-1", "")),
        ("s3://bucket/a/b/", S3Location("bucket", "a/b")),
    ],
)
def test_the_urls_a_store_may_have(url: str, location: object) -> None:
    assert parse_storage_url(url) == location


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (
            "http://example.com/x",
            "BEATSTITCH_STORAGE_URL 'http://example.com/x' is neither file:///path nor "
            "s3://bucket/prefix (leave it empty for the local folders)",
        ),
        ("/srv/media", "BEATSTITCH_STORAGE_URL '/srv/media' is neither file:///path nor"),
        (
            "file://relative/path",
            "BEATSTITCH_STORAGE_URL 'file://relative/path' is not a folder: "
            "write file:///absolute/path",
        ),
        (
            "s3://My_Bucket/x",
            "BEATSTITCH_STORAGE_URL 's3://My_Bucket/x' names the bucket 'My_Bucket', which S3 "
            "refuses: a bucket name is 3 to 63 lower-case letters, digits, '.' and '-', "
            "beginning and ending with a letter or digit",
        ),
        ("s3://ab", "names the bucket 'ab', which S3 refuses: a bucket name is 3 to 63"),
        ("s3://" + "b" * 64, "which S3 refuses: a bucket name is 3 to 63"),
        ("s3://-bucket", "which S3 refuses: a bucket name is 3 to 63"),
        ("s3://a..b", "which S3 refuses: a bucket name is no '..', '.-' or '-.'"),
        ("s3://192.168.1.10", "which S3 refuses: a bucket name is not an IP address"),
        ("s3://xn--bucket", "not starting with 'xn--' or 'sthree-'"),
        ("s3://", "names the bucket '', which S3 refuses"),
        (
            "s3://bucket/a/../b",
            "BEATSTITCH_STORAGE_URL 's3://bucket/a/../b' has a prefix that is no key: "
            "the object key 'a/../b' has an empty, '.' or '..' segment",
        ),
    ],
)
def test_a_storage_url_we_cannot_use_is_refused_naming_the_setting(url: str, says: str) -> None:
    assert says in refusal(storage_url=url, **CREDENTIALS)


def test_an_s3_store_needs_credentials() -> None:
    says = (
        "BEATSTITCH_STORAGE_URL 's3://bucket' is an S3 store: set "
        "BEATSTITCH_S3_ACCESS_KEY_ID and BEATSTITCH_S3_SECRET_ACCESS_KEY too"
    )
    assert says in refusal(storage_url="s3://bucket")
    assert says in refusal(storage_url="s3://bucket", s3_access_key_id="key")
    assert StorageSettings(storage_url="s3://bucket", **CREDENTIALS).location() == S3Location(
        "bucket", ""
    )


def test_an_endpoint_is_an_http_address() -> None:
    says = "BEATSTITCH_S3_ENDPOINT_URL 'ftp://host' is not an http:// or https:// address"
    assert says in refusal(s3_endpoint_url="ftp://host")
    assert "is not an http:// or https:// address" in refusal(s3_endpoint_url="localhost:9000")
    assert StorageSettings(s3_endpoint_url="").s3_endpoint_url is None
    says = "BEATSTITCH_S3_PUBLIC_ENDPOINT_URL 'minio:9000' is not an http:// or https:// address"
    assert says in refusal(s3_public_endpoint_url="minio:9000")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"storage_cache_max_bytes": 64 * 1024**2 - 1}, "storage_cache_max_bytes"),
        ({"presigned_url_ttl_s": 9}, "presigned_url_ttl_s"),
        ({"presigned_url_ttl_s": 3601}, "presigned_url_ttl_s"),
    ],
)
def test_bounds(values: dict[str, Any], field: str) -> None:
    assert field in refusal(**values)


def test_the_local_folders_open_as_a_folder_store(tmp_path: Path) -> None:
    store = open_store(StorageSettings(), default_root=tmp_path / "media")
    assert isinstance(store, FilesystemStore)
    assert store.url == (tmp_path / "media").as_uri()


def test_a_file_url_opens_that_folder(tmp_path: Path) -> None:
    settings = StorageSettings(storage_url=(tmp_path / "store").as_uri())
    store = open_store(settings, default_root=tmp_path / "media")
    assert store.url == (tmp_path / "store").as_uri()


def test_an_s3_url_opens_an_s3_store(tmp_path: Path) -> None:
    s3 = pytest.importorskip("storage.s3", reason="the S3 backend is not in this tree yet")
    settings = StorageSettings(
        storage_url="s3://media-bucket/beatstitch",
        s3_endpoint_url="http://127.0.0.1:9",
        **CREDENTIALS,
    )
    store = open_store(settings, default_root=tmp_path)
    assert isinstance(store, s3.S3Store)
    assert store.url.startswith("s3://media-bucket/beatstitch")


def test_the_folder_default_never_loads_the_s3_client() -> None:
    """A machine without boto3 (or a fast start) runs the embedded default."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from storage.open_store import open_store\n"
        "from storage.settings import StorageSettings\n"
        "open_store(StorageSettings(), Path('.'))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEATSTITCH_")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "[]"
