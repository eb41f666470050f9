"""forum.storage: the contract every backend keeps (run on a directory and on a real local S3
server, moto in server mode), what is particular to each, and choosing one from the settings.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import socket
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from flask import Flask

from forum import create_app
from forum import storage as storage_module
from forum.storage import (
    CHUNK,
    TEMP_PREFIX,
    InvalidDigest,
    LocalStorage,
    Missing,
    S3Storage,
    Storage,
    StorageError,
    storage,
)
from tests.conftest import _settings

BUCKET = "forum-uploads-test"
REGION = "eu-north-1"
CONTENT = b"%PDF-1.7\nMinutes of the meeting in Aarhus\n"
DIGEST = hashlib.sha256(CONTENT).hexdigest()
UPLOAD_SETTINGS = {
    "UPLOAD_STORAGE",
    "UPLOAD_DIR",
    "S3_BUCKET",
    "S3_ENDPOINT_URL",
    "S3_REGION",
    "S3_PREFIX",
}

BAD_DIGESTS = [
    pytest.param("../../etc/passwd", id="path"),
    pytest.param("../" + DIGEST[3:], id="path-64-chars"),
    pytest.param(DIGEST.upper(), id="uppercase"),
    pytest.param(DIGEST[:63], id="63-chars"),
    pytest.param(DIGEST + "0", id="65-chars"),
    pytest.param(DIGEST[:63] + "g", id="not-hex"),
    pytest.param(DIGEST + "\n", id="newline"),
    pytest.param("", id="empty"),
    pytest.param(DIGEST.encode(), id="bytes"),
    pytest.param(None, id="none"),
]


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Generated(io.RawIOBase):
    """``size`` deterministic bytes made as they are read; cannot seek; records each read."""

    def __init__(self, size: int, fail_after: int | None = None) -> None:
        self.size = size
        self.position = 0
        self.fail_after = fail_after
        self.requests: list[int] = []

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self.requests.append(len(buffer))
        if self.fail_after is not None and self.position >= self.fail_after:
            raise Killed("the process died mid-write")
        count = min(len(buffer), self.size - self.position)
        start = self.position
        # Cheap, varied content: each 8-byte block is its own offset.
        block = b"".join((start + i).to_bytes(8, "big") for i in range(0, count + 8, 8))
        offset = start % 8
        buffer[:count] = block[offset : offset + count]
        self.position += count
        return count

    def read(self, size: int = -1) -> bytes:
        # RawIOBase.read(-1) would read everything at once: the storage must never ask that.
        assert size is not None and size > 0, f"read({size}) asks for the whole stream"
        return super().read(size)

    @classmethod
    def digest(cls, size: int) -> str:
        source = cls(size)
        sha256 = hashlib.sha256()
        while chunk := source.read(CHUNK):
            sha256.update(chunk)
        return sha256.hexdigest()


class Killed(BaseException):
    """Stands in for the process being killed: no ``except Exception`` catches it."""


class Unreadable(io.RawIOBase):
    """A source that must not be read (putting a digest already stored is a no-op)."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise AssertionError("the source was read")


def read_in_chunks(stream: Any) -> tuple[str, int]:
    sha256 = hashlib.sha256()
    size = 0
    with stream:
        while chunk := stream.read(CHUNK):
            assert len(chunk) <= CHUNK
            sha256.update(chunk)
            size += len(chunk)
    return sha256.hexdigest(), size


# --- a real local S3-compatible server ------------------------------------------------------


class S3Server:
    def __init__(self, url: str) -> None:
        self.url = url

    def client(self) -> Any:
        import boto3

        return boto3.session.Session().client("s3", endpoint_url=self.url, region_name=REGION)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto's S3 in server mode on a free local port, with an empty bucket."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:  # pragma: no cover - moto[server] is a test dependency
        pytest.skip(f"S3 tests: moto[server] is not installed ({exc})")
    with pytest.MonkeyPatch.context() as environment:
        # Dummy credentials, and none of this machine's own AWS configuration.
        empty = tmp_path_factory.mktemp("aws") / "none"
        empty.write_text("")
        environment.setenv("AWS_ACCESS_KEY_ID", "testing")
        environment.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        environment.delenv("AWS_SESSION_TOKEN", raising=False)
        environment.delenv("AWS_PROFILE", raising=False)
        environment.setenv("AWS_CONFIG_FILE", str(empty))
        environment.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
        environment.setenv("AWS_DEFAULT_REGION", REGION)
        try:
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            host, port = server.get_host_and_port()
            with socket.create_connection((host, port), timeout=5):
                pass
        except OSError as exc:
            pytest.skip(f"S3 tests: moto's server could not start on 127.0.0.1 ({exc})")
        s3 = S3Server(f"http://{host}:{port}")
        s3.client().create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield s3
        server.stop()


def s3_storage(server: S3Server, **options: Any) -> S3Storage:
    """A backend on the test bucket, under a prefix of its own (tests share the bucket)."""
    options.setdefault("prefix", f"test-{uuid4().hex}/")
    return S3Storage(BUCKET, endpoint_url=server.url, region=REGION, **options)


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """Each backend in turn: the contract tests run on both."""
    if request.param == "local":
        return LocalStorage(tmp_path / "uploads")
    return s3_storage(request.getfixturevalue("s3_server"))


def stored_anything(backend: Storage) -> list[str]:
    """Every file or object the backend holds, temporary files included."""
    if isinstance(backend, LocalStorage):
        if not backend.root.exists():
            return []
        return [str(p) for p in backend.root.rglob("*") if not p.is_dir()]
    assert isinstance(backend, S3Storage)
    listing = backend.client.list_objects_v2(Bucket=BUCKET, Prefix=backend.prefix)
    return [item["Key"] for item in listing.get("Contents", [])]


# --- the contract, on every backend ---------------------------------------------------------


def test_round_trip(backend: Storage) -> None:
    assert not backend.exists(DIGEST)

    backend.put(io.BytesIO(CONTENT), DIGEST, len(CONTENT))

    assert backend.exists(DIGEST)
    with backend.open(DIGEST) as stream:
        assert stream.read() == CONTENT
    backend.delete(DIGEST)
    assert not backend.exists(DIGEST)
    assert stored_anything(backend) == []
    with pytest.raises(Missing):
        backend.open(DIGEST)
    backend.delete(DIGEST)  # deleting what is not there is fine


def test_put_from_a_path(backend: Storage, tmp_path: Path) -> None:
    source = tmp_path / "referat.pdf"
    source.write_bytes(CONTENT)

    backend.put(source, DIGEST, len(CONTENT))

    with backend.open(DIGEST) as stream:
        assert stream.read() == CONTENT


def test_put_reads_a_stream_from_where_it_stands(backend: Storage) -> None:
    stream = io.BytesIO(b"header" + CONTENT)
    stream.seek(len(b"header"))

    backend.put(stream, DIGEST, len(CONTENT))

    with backend.open(DIGEST) as stored:
        assert stored.read() == CONTENT


def test_the_empty_file(backend: Storage) -> None:
    empty = digest_of(b"")
    backend.put(io.BytesIO(b""), empty, 0)
    with backend.open(empty) as stream:
        assert stream.read() == b""


def test_unknown_digest_is_missing(backend: Storage) -> None:
    with pytest.raises(FileNotFoundError):  # Missing is one
        backend.open(digest_of(b"never stored"))
    with pytest.raises(StorageError):  # and a StorageError too
        backend.open(digest_of(b"never stored"))
    assert not backend.exists(digest_of(b"never stored"))


def test_same_digest_twice_is_a_no_op(backend: Storage) -> None:
    backend.put(io.BytesIO(CONTENT), DIGEST, len(CONTENT))

    backend.put(Unreadable(), DIGEST, len(CONTENT))  # not even read

    with backend.open(DIGEST) as stream:
        assert stream.read() == CONTENT
    assert len(stored_anything(backend)) == 1


@pytest.mark.parametrize(
    ("data", "size"),
    [
        pytest.param(CONTENT + b"x", len(CONTENT) + 1, id="other-content"),
        pytest.param(CONTENT[:-1], len(CONTENT), id="shorter-than-said"),
        pytest.param(CONTENT + b"x", len(CONTENT), id="longer-than-said"),
        pytest.param(CONTENT, len(CONTENT) - 1, id="size-too-small"),
    ],
)
def test_mismatch_leaves_nothing(backend: Storage, data: bytes, size: int) -> None:
    with pytest.raises(StorageError):
        backend.put(io.BytesIO(data), DIGEST, size)

    assert not backend.exists(DIGEST)
    assert stored_anything(backend) == []  # no temporary file either


def test_an_endless_stream_is_not_read_past_its_size(backend: Storage) -> None:
    source = Generated(size=10**12)

    with pytest.raises(StorageError, match="More than"):
        backend.put(source, DIGEST, len(CONTENT))

    assert source.position <= len(CONTENT) + 1
    assert stored_anything(backend) == []


@pytest.mark.parametrize("digest", BAD_DIGESTS)
def test_bad_digests_are_refused_everywhere(backend: Storage, digest: Any) -> None:
    calls: list[Callable[[], object]] = [
        lambda: backend.put(Unreadable(), digest, len(CONTENT)),
        lambda: backend.open(digest),
        lambda: backend.exists(digest),
        lambda: backend.delete(digest),
        lambda: backend.local_path(digest),
    ]
    for call in calls:
        with pytest.raises(InvalidDigest):
            call()
    assert stored_anything(backend) == []


def test_a_bad_digest_is_a_value_error_too(backend: Storage) -> None:
    with pytest.raises(ValueError):
        backend.exists("../../etc/passwd")


def test_a_large_file_streams_in_chunks(backend: Storage) -> None:
    size = 30 * 1024 * 1024
    digest = Generated.digest(size)
    source = Generated(size)

    backend.put(source, digest, size)

    # Read a chunk at a time, never all at once (Generated.read refuses read()).
    assert source.requests and max(source.requests) <= CHUNK
    assert len(source.requests) >= size // CHUNK
    assert read_in_chunks(backend.open(digest)) == (digest, size)


def test_a_large_seekable_file(backend: Storage, tmp_path: Path) -> None:
    size = 30 * 1024 * 1024 + 7
    digest = Generated.digest(size)
    path = tmp_path / "large.bin"
    with path.open("wb") as sink, Generated(size) as source:
        while chunk := source.read(CHUNK):
            sink.write(chunk)

    with path.open("rb") as stream:
        backend.put(stream, digest, size)

    assert read_in_chunks(backend.open(digest)) == (digest, size)


def test_sweep_with_nothing_to_sweep(backend: Storage) -> None:
    backend.put(io.BytesIO(CONTENT), DIGEST, len(CONTENT))
    assert backend.sweep_temporary(timedelta(0)) == 0
    assert backend.exists(DIGEST)


# --- the local directory --------------------------------------------------------------------


@pytest.fixture
def local(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "uploads")


def test_local_layout_and_modes(local: LocalStorage) -> None:
    previous = os.umask(0o077)  # stricter than ours: the modes are set, not left to the umask
    try:
        local.put(io.BytesIO(CONTENT), DIGEST, len(CONTENT))
    finally:
        os.umask(previous)

    path = local.root / DIGEST[:2] / DIGEST[2:4] / DIGEST
    assert local.local_path(DIGEST) == path
    assert path.read_bytes() == CONTENT
    assert path.stat().st_mode & 0o777 == 0o640
    for directory in (local.root, path.parent.parent, path.parent):
        assert directory.stat().st_mode & 0o777 == 0o750


def test_local_path_of_unknown_is_missing(local: LocalStorage) -> None:
    with pytest.raises(Missing):
        local.local_path(DIGEST)


def test_local_crash_at_rename_leaves_nothing(
    local: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    def replace(source: Any, target: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage_module.os, "replace", replace)

    with pytest.raises(StorageError, match="No space left"):
        local.put(io.BytesIO(CONTENT), DIGEST, len(CONTENT))

    assert not (local.root / DIGEST[:2] / DIGEST[2:4] / DIGEST).exists()
    assert not local.exists(DIGEST)
    assert stored_anything(local) == []


def test_local_killed_mid_write_leaves_nothing_under_the_name(local: LocalStorage) -> None:
    size = 5 * CHUNK
    digest = Generated.digest(size)

    with pytest.raises(Killed):
        local.put(Generated(size, fail_after=2 * CHUNK), digest, size)

    assert not local.exists(digest)
    assert stored_anything(local) == []


def test_local_a_temporary_file_is_never_a_stored_file(local: LocalStorage) -> None:
    # What `kill -9` mid-write leaves: half a file under a temporary name beside the real one.
    directory = local.root / DIGEST[:2] / DIGEST[2:4]
    directory.mkdir(parents=True)
    (directory / f"{TEMP_PREFIX}{DIGEST}").write_bytes(CONTENT[:5])

    assert not local.exists(DIGEST)
    with pytest.raises(Missing):
        local.open(DIGEST)
    local.put(io.BytesIO(CONTENT), DIGEST, len(CONTENT))
    assert local.local_path(DIGEST).read_bytes() == CONTENT  # type: ignore[union-attr]


def test_local_sweep_removes_old_temporary_files_only(local: LocalStorage) -> None:
    local.put(io.BytesIO(CONTENT), DIGEST, len(CONTENT))
    directory = local.root / DIGEST[:2] / DIGEST[2:4]
    old = directory / f"{TEMP_PREFIX}old"
    young = directory / f"{TEMP_PREFIX}young"
    other = local.root / "ab" / "cd" / f"{TEMP_PREFIX}other-old"
    other.parent.mkdir(parents=True)
    for path in (old, young, other):
        path.write_bytes(b"half")
    two_hours_ago = time.time() - 2 * 3600
    os.utime(old, (two_hours_ago, two_hours_ago))
    os.utime(other, (two_hours_ago, two_hours_ago))
    stored = local.root / DIGEST[:2] / DIGEST[2:4] / DIGEST
    os.utime(stored, (two_hours_ago, two_hours_ago))  # an old real file stays, of course

    assert local.sweep_temporary(older_than=timedelta(hours=1)) == 2

    assert not old.exists() and not other.exists()
    assert young.exists()
    assert stored.read_bytes() == CONTENT


def test_local_sweep_of_a_root_not_yet_made(local: LocalStorage) -> None:
    assert local.sweep_temporary() == 0


# --- S3 -------------------------------------------------------------------------------------


def test_s3_key_content_type_and_checksum(s3_server: S3Server) -> None:
    backend = s3_storage(s3_server, prefix="forum/uploads")  # the slash is added

    backend.put(io.BytesIO(CONTENT), DIGEST, len(CONTENT))

    key = f"forum/uploads/{DIGEST[:2]}/{DIGEST}"
    assert backend.key(DIGEST) == key
    head = backend.client.head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
    assert head["ContentType"] == "application/octet-stream"
    assert head["ContentLength"] == len(CONTENT)
    assert head["ChecksumSHA256"] == base64.b64encode(bytes.fromhex(DIGEST)).decode()
    assert backend.local_path(DIGEST) is None


def test_s3_without_prefix(s3_server: S3Server) -> None:
    backend = s3_storage(s3_server, prefix="")
    assert backend.key(DIGEST) == f"{DIGEST[:2]}/{DIGEST}"


class RefusesChecksums:
    """A client for a server that does not know x-amz-checksum-* (an older MinIO or Ceph)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.puts: list[dict[str, Any]] = []

    def put_object(self, **arguments: Any) -> Any:
        from botocore.exceptions import ClientError

        self.puts.append(arguments)
        if "ChecksumSHA256" in arguments:
            error = {"Error": {"Code": "NotImplemented", "Message": "checksums"}}
            raise ClientError(error, "PutObject")  # type: ignore[arg-type]
        return self.client.put_object(**arguments)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def test_s3_server_without_checksums(s3_server: S3Server) -> None:
    client = RefusesChecksums(s3_server.client())
    backend = s3_storage(s3_server, client=client)

    backend.put(io.BytesIO(CONTENT), DIGEST, len(CONTENT))
    other = digest_of(b"second")
    backend.put(io.BytesIO(b"second"), other, 6)

    with backend.open(DIGEST) as stream:
        assert stream.read() == CONTENT
    # Refused once, then stored with the MD5 alone, and not asked again.
    assert ["ChecksumSHA256" in put for put in client.puts] == [True, False, False]
    assert all("ContentMD5" in put for put in client.puts)


def test_s3_errors_are_storage_errors(s3_server: S3Server) -> None:
    backend = S3Storage("no-such-bucket-here", endpoint_url=s3_server.url, region=REGION, prefix="")
    with pytest.raises(StorageError):
        backend.put(io.BytesIO(CONTENT), DIGEST, len(CONTENT))
    with pytest.raises(StorageError):
        backend.open(DIGEST)


# --- choosing the backend from the settings -------------------------------------------------


@pytest.fixture
def make_configured_app(tmp_path: Path) -> Callable[..., Flask]:
    """An app with some upload settings (no database needed: storage never touches it)."""

    def make(**settings: Any) -> Flask:
        url = f"sqlite:///{tmp_path / 'unused.db'}"
        settings.setdefault("SEARCH_INDEX_DIR", str(tmp_path / "search-index"))
        explicit = _settings(url, **settings)
        for key in UPLOAD_SETTINGS - settings.keys():
            del explicit[key]  # the defaults, or FORUM_* variables where a test sets them
        return create_app(explicit)

    return make


def test_local_by_default_in_the_instance_folder(make_configured_app: Callable[..., Flask]) -> None:
    app = make_configured_app()

    backend = storage(app)

    assert isinstance(backend, LocalStorage)
    assert backend.root == Path(app.instance_path) / "uploads"
    assert storage(app) is backend  # made once per app
    with app.app_context():
        assert storage() is backend


def test_local_in_upload_dir(make_configured_app: Callable[..., Flask], tmp_path: Path) -> None:
    app = make_configured_app(UPLOAD_DIR=str(tmp_path / "files"))

    backend = storage(app)

    assert isinstance(backend, LocalStorage)
    assert backend.root == tmp_path / "files"


def test_s3_from_environment_variables(
    make_configured_app: Callable[..., Flask], s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORUM_UPLOAD_STORAGE", "s3")
    monkeypatch.setenv("FORUM_S3_BUCKET", BUCKET)
    monkeypatch.setenv("FORUM_S3_ENDPOINT_URL", s3_server.url)
    monkeypatch.setenv("FORUM_S3_REGION", REGION)
    monkeypatch.setenv("FORUM_S3_PREFIX", f"env-{uuid4().hex}/")
    app = make_configured_app()

    backend = storage(app)

    assert isinstance(backend, S3Storage)
    assert backend.bucket == BUCKET
    assert backend.prefix == app.config["S3_PREFIX"]
    assert backend.client.meta.region_name == REGION
    backend.put(io.BytesIO(CONTENT), DIGEST, len(CONTENT))
    assert backend.exists(DIGEST)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        pytest.param(
            {"UPLOAD_STORAGE": "ftp"},
            "FORUM_UPLOAD_STORAGE is 'ftp': it must be 'local' or 's3'.",
            id="unknown",
        ),
        pytest.param(
            {"UPLOAD_STORAGE": "s3", "S3_BUCKET": ""},
            "FORUM_UPLOAD_STORAGE is 's3' but FORUM_S3_BUCKET is empty",
            id="s3-without-bucket",
        ),
    ],
)
def test_settings_errors(
    make_configured_app: Callable[..., Flask], settings: dict[str, str], message: str
) -> None:
    # The app checks its storage when it starts (forum.storage.init_app), not at an upload.
    with pytest.raises(RuntimeError) as raised:
        make_configured_app(**settings)

    assert message in str(raised.value)
