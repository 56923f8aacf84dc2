"""The one place a boto3 S3 client is built, and botocore's errors turned into sentences.

Every setting is passed in; nothing comes from the environment. A worker sets http_proxy
for its media egress proxy (which only serves GETs of remote media), and a stray
AWS_PROFILE, AWS_CONFIG_FILE or AWS_ENDPOINT_URL must not redirect the store either.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from storage.object_store import ObjectMissing, StorageError, StorageUnavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Config and credentials files of the AWS CLI are not ours to read.
_NO_FILES = {"config_file", "credentials_file"}
_REFUSED = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "Forbidden"}
_MISSING_KEY = {"NoSuchKey", "404", "NotFound"}


def _isolated_session() -> boto3.session.Session:
    """A boto3 session that reads no AWS_* variable and no ~/.aws file."""
    core = botocore.session.Session()
    for name, (config_name, _env, default, conversion) in list(core.session_var_map.items()):
        core.session_var_map[name] = (
            config_name,
            None,
            os.devnull if name in _NO_FILES else default,
            conversion,
        )
    return boto3.session.Session(botocore_session=core)


def s3_client(
    endpoint_url: str | None,
    region: str,
    access_key: str,
    secret_key: str,
    *,
    connect_timeout_s: float = 5.0,
    read_timeout_s: float = 60.0,
    max_attempts: int = 3,
) -> S3Client:
    """An S3 client for exactly this endpoint, region and key pair, with no proxy."""
    config = Config(
        region_name=region,
        signature_version="s3v4",
        # Path-style requests work with MinIO, S3Proxy and AWS alike, also for an IP endpoint.
        s3={"addressing_style": "path"},
        # An empty dict, not None: None makes botocore read http_proxy/https_proxy.
        proxies={},
        connect_timeout=connect_timeout_s,
        read_timeout=read_timeout_s,
        retries={"max_attempts": max_attempts, "mode": "standard"},
        # botocore's default trailing CRC checksums (aws-chunked uploads) are refused by
        # S3Proxy and older MinIO; the store keeps its own SHA-256 anyway.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return _isolated_session().client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=config,
    )


def error_code(exc: ClientError) -> str:
    """The S3 error code of a failed call (HEAD answers carry only the HTTP status)."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def storage_error(
    exc: Exception, *, endpoint: str, bucket: str, store_url: str, key: str | None = None
) -> StorageError:
    """The StorageError a botocore failure means, as a sentence that says what to check."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code in _REFUSED:
            return StorageUnavailable(
                f"the S3 endpoint {endpoint} refused BeatStitch's credentials for bucket "
                f"{bucket!r} ({code}); check BEATSTITCH_S3_ACCESS_KEY_ID and "
                "BEATSTITCH_S3_SECRET_ACCESS_KEY and that this key may use the bucket."
            )
        if code == "NoSuchBucket":
            return StorageUnavailable(
                f"the S3 endpoint {endpoint} has no bucket {bucket!r}; create it, or fix "
                "the bucket in BEATSTITCH_STORAGE_URL."
            )
        if code in _MISSING_KEY and key is not None:
            return ObjectMissing(key)
        message = exc.response.get("Error", {}).get("Message", "")
        what = f"object {key!r}" if key is not None else "request"
        return StorageError(f"S3 refused the {what} in {store_url}: {code} {message}".strip())
    if isinstance(exc, BotoCoreError):
        return StorageUnavailable(
            f"cannot reach the S3 endpoint {endpoint} for bucket {bucket!r} ({exc}); check "
            "that the server runs (`beatstitch storage start` for the local one) and "
            "BEATSTITCH_S3_ENDPOINT_URL."
        )
    return StorageError(f"S3 request to {store_url} failed: {exc}")
