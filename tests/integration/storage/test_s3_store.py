"""S3Store against a real S3 server (the session's S3Proxy): every ObjectStore method."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx
import pytest

from local_stack.ports import free_tcp_ports
from storage.object_store import KeyRefused, ObjectMissing, StorageError, StorageUnavailable
from storage.s3 import S3Store
from tests.support.s3proxy import RunningS3Proxy


def _file(path: Path, size: int) -> Path:
    """A file of size pseudo-random bytes."""
    path.write_bytes(os.urandom(size))
    return path


def test_put_then_fetch_gives_the_same_bytes_and_checksum(
    s3_store: S3Store, tmp_path: Path
) -> None:
    source = _file(tmp_path / "clip.mp4", 300_000)
    want = hashlib.sha256(source.read_bytes()).hexdigest()
    stored = s3_store.put_file("media/u1/clip.mp4", source, "video/mp4")
    assert (stored.key, stored.size, stored.sha256) == ("media/u1/clip.mp4", 300_000, want)
    # What a worker sees: the same object, size and checksum by HEAD as by the upload.
    assert s3_store.stat("media/u1/clip.mp4") == stored
    dest = tmp_path / "cache" / "clip.mp4"
    assert s3_store.fetch("media/u1/clip.mp4", dest) == stored
    assert dest.read_bytes() == source.read_bytes()
    # Nothing but the file itself is left beside it (the download went to a temp file).
    assert [p.name for p in dest.parent.iterdir()] == ["clip.mp4"]
    assert s3_store.local_path("media/u1/clip.mp4") is None


def test_a_20_mib_file_goes_up_in_parts_and_keeps_its_checksum(
    s3_store: S3Store, tmp_path: Path
) -> None:
    source = _file(tmp_path / "render.mp4", 20 * 1024 * 1024)
    stored = s3_store.put_file("renders/j1/out.mp4", source, "video/mp4")
    head = s3_store.client.head_object(Bucket=s3_store.bucket, Key="renders/j1/out.mp4")
    # A multipart upload's ETag is "<md5 of the parts' md5s>-<number of parts>": 3 parts of 8 MiB.
    assert head["ETag"].strip('"').endswith("-3")
    assert head["Metadata"]["sha256"] == stored.sha256
    dest = tmp_path / "back.mp4"
    assert s3_store.fetch("renders/j1/out.mp4", dest).sha256 == stored.sha256
    assert dest.stat().st_size == 20 * 1024 * 1024


def test_missing_objects_are_none_to_stat_and_missing_to_fetch(
    s3_store: S3Store, tmp_path: Path
) -> None:
    assert s3_store.stat("media/none.mp4") is None
    with pytest.raises(ObjectMissing) as missing:
        s3_store.fetch("media/none.mp4", tmp_path / "none.mp4")
    # What a worker sees: the key it asked for, and no half file left behind.
    assert str(missing.value) == "the store holds no object 'media/none.mp4'"
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ObjectMissing):
        list(s3_store.read_range("media/none.mp4", 0, 9))
    s3_store.delete("media/none.mp4")  # deleting a missing object is no error


def test_delete_removes_the_object(s3_store: S3Store, tmp_path: Path) -> None:
    s3_store.put_file("thumbs/a.jpg", _file(tmp_path / "a.jpg", 100))
    s3_store.delete("thumbs/a.jpg")
    assert s3_store.stat("thumbs/a.jpg") is None


def test_list_gives_the_objects_under_a_prefix_with_their_checksums(
    s3proxy: RunningS3Proxy, tmp_path: Path
) -> None:
    # A store under a key prefix of its bucket: keys are relative to that prefix.
    store = s3proxy.store(s3proxy.new_bucket("list"), "tenant-a")
    put = {
        key: store.put_file(key, _file(tmp_path / f"f{i}", 10 + i))
        for i, key in enumerate(["media/u1/a.mp4", "media/u1/b.mp4", "media/u2/c.mp4"])
    }
    found = {o.key: o for o in store.list("media/u1/")}
    assert found == {k: put[k] for k in ("media/u1/a.mp4", "media/u1/b.mp4")}
    assert {o.key for o in store.list("")} == set(put)
    listing = store.client.list_objects_v2(Bucket=store.bucket)["Contents"]
    # S3Proxy's filesystem also lists its folders ("tenant-a/media/"); the store skips them.
    names = [o["Key"] for o in listing if not o["Key"].endswith("/")]
    assert sorted(names) == sorted(f"tenant-a/{k}" for k in put)
    assert store.url == f"s3://{store.bucket}/tenant-a"


def test_list_pages_through_more_than_one_answer(s3_store: S3Store, tmp_path: Path) -> None:
    source = _file(tmp_path / "tiny", 1)
    for i in range(7):
        s3_store.put_file(f"beats/{i}.json", source)
    s3_store.client.meta.events.register(
        "before-parameter-build.s3.ListObjectsV2",
        lambda params, **_: params.__setitem__("MaxKeys", 3),
    )
    assert sorted(o.key for o in s3_store.list("beats/")) == [f"beats/{i}.json" for i in range(7)]


def test_read_range_gives_exactly_the_bytes_asked_for(s3_store: S3Store, tmp_path: Path) -> None:
    source = _file(tmp_path / "out.mp4", 200_000)
    s3_store.put_file("renders/out.mp4", source)
    data = source.read_bytes()
    assert b"".join(s3_store.read_range("renders/out.mp4", 1000, 150_999)) == data[1000:151_000]
    assert b"".join(s3_store.read_range("renders/out.mp4", 199_990, 199_999)) == data[-10:]


def test_presigned_url_downloads_as_an_attachment_and_serves_ranges(
    s3_store: S3Store, tmp_path: Path
) -> None:
    source = _file(tmp_path / "out.mp4", 50_000)
    s3_store.put_file("renders/j2/out.mp4", source, "video/mp4")
    url = s3_store.download_url("renders/j2/out.mp4", "Beat Mix é.mp4", expires_s=60)
    assert url is not None
    with httpx.Client(trust_env=False) as browser:
        whole = browser.get(url)
        part = browser.get(url, headers={"Range": "bytes=100-199"})
    # What a browser sees: the bytes, saved under the given name; a Range answered with 206.
    assert whole.status_code == 200
    assert whole.content == source.read_bytes()
    assert whole.headers["content-disposition"].startswith('attachment; filename="Beat Mix _.mp4"')
    assert "filename*=UTF-8''Beat%20Mix%20%C3%A9.mp4" in whole.headers["content-disposition"]
    assert part.status_code == 206
    assert part.content == source.read_bytes()[100:200]


def test_download_urls_are_signed_for_the_public_endpoint_when_one_is_set(
    s3proxy: RunningS3Proxy, s3_store: S3Store, tmp_path: Path
) -> None:
    # The services reach the store at 127.0.0.1; browsers (here: the same server by the name
    # localhost) at the public endpoint, and a signature covers the host it was made for.
    public = s3proxy.endpoint_url.replace("127.0.0.1", "localhost")
    assert public != s3proxy.endpoint_url
    seen_elsewhere = S3Store(
        s3_store.bucket,
        endpoint_url=s3proxy.endpoint_url,
        region=s3proxy.region,
        access_key=s3proxy.access_key,
        secret_key=s3proxy.secret_key,
        public_endpoint_url=public,
    )
    source = _file(tmp_path / "out.mp4", 10_000)
    seen_elsewhere.put_file("renders/j3/out.mp4", source, "video/mp4")
    url = seen_elsewhere.download_url("renders/j3/out.mp4", "out.mp4", expires_s=60)
    inside = s3_store.download_url("renders/j3/out.mp4", "out.mp4", expires_s=60)
    assert url is not None and inside is not None
    assert url.startswith(f"{public}/") and inside.startswith(f"{s3proxy.endpoint_url}/")
    with httpx.Client(trust_env=False) as browser:
        assert browser.get(url).content == source.read_bytes()
        # The inside URL's signature names the other host: sent to the public one, refused.
        moved = inside.replace(s3proxy.endpoint_url, public)
        assert browser.get(moved).status_code == 403


def test_a_damaged_download_is_refused_and_discarded(s3_store: S3Store, tmp_path: Path) -> None:
    s3_store.client.put_object(
        Bucket=s3_store.bucket,
        Key="media/bad.mp4",
        Body=b"not what was stored",
        Metadata={"sha256": "0" * 64},
    )
    dest = tmp_path / "bad.mp4"
    with pytest.raises(StorageError, match="the object 'media/bad.mp4' in s3://.* arrived damaged"):
        s3_store.fetch("media/bad.mp4", dest)
    # What a worker sees: no file at all, rather than a wrong one.
    assert list(tmp_path.iterdir()) == []


def test_keys_that_leave_the_store_are_refused(s3_store: S3Store, tmp_path: Path) -> None:
    for key in ("../etc/passwd", "/abs", "a//b", "a/./b", ""):
        with pytest.raises(KeyRefused):
            s3_store.stat(key)


def test_a_wrong_secret_says_the_credentials_were_refused(
    s3proxy: RunningS3Proxy, s3_store: S3Store, tmp_path: Path
) -> None:
    wrong = S3Store(
        s3_store.bucket,
        endpoint_url=s3proxy.endpoint_url,
        region=s3proxy.region,
        access_key=s3proxy.access_key,
        secret_key="not-the-secret",
    )
    for call in (
        lambda: wrong.stat("media/a.mp4"),
        lambda: wrong.put_file("media/a.mp4", _file(tmp_path / "a", 10)),
        lambda: wrong.fetch("media/a.mp4", tmp_path / "b"),
    ):
        with pytest.raises(StorageUnavailable) as refused:
            call()
        # What an operator sees: which endpoint and bucket, and which settings to check.
        message = str(refused.value)
        assert f"the S3 endpoint {s3proxy.endpoint_url} refused BeatStitch's credentials" in message
        assert f"for bucket {s3_store.bucket!r}" in message
        assert "check BEATSTITCH_S3_ACCESS_KEY_ID and BEATSTITCH_S3_SECRET_ACCESS_KEY" in message


def test_a_missing_bucket_is_named(s3proxy: RunningS3Proxy, tmp_path: Path) -> None:
    store = s3proxy.store("no-such-bucket-here")
    for call in (
        lambda: store.stat("media/a.mp4"),
        lambda: store.fetch("media/a.mp4", tmp_path / "a"),
        lambda: list(store.list("")),
    ):
        with pytest.raises(StorageUnavailable, match="has no bucket 'no-such-bucket-here'"):
            call()


def test_an_endpoint_that_is_down_says_what_to_check(tmp_path: Path) -> None:
    (port,) = free_tcp_ports(1)
    down = S3Store(
        "media",
        endpoint_url=f"http://127.0.0.1:{port}",
        region="us-east-1",
        access_key="k",
        secret_key="s",
    )
    with pytest.raises(StorageUnavailable) as unreachable:
        down.stat("media/a.mp4")
    # What an operator sees: the endpoint that did not answer and how to bring it up.
    message = str(unreachable.value)
    assert f"cannot reach the S3 endpoint http://127.0.0.1:{port} for bucket 'media'" in message
    assert "`beatstitch storage start`" in message
    with pytest.raises(StorageUnavailable):
        down.put_file("media/a.mp4", _file(tmp_path / "a", 10))


def test_proxy_and_aws_variables_of_the_environment_are_ignored(
    s3proxy: RunningS3Proxy, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (dead,) = free_tcp_ports(1)
    # A worker's media egress proxy (GET-only) in http_proxy, and stray AWS settings.
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{dead}")
    monkeypatch.setenv("no_proxy", "")
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("AWS_PROFILE", "nobody")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{dead}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "wrong")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    store = s3proxy.store(s3proxy.new_bucket("env"))
    source = _file(tmp_path / "a.mp4", 1000)
    # What a worker sees: the store works as if none of these were set.
    stored = store.put_file("media/a.mp4", source)
    assert store.fetch("media/a.mp4", tmp_path / "b.mp4") == stored
    assert [o.key for o in store.list("media/")] == ["media/a.mp4"]
