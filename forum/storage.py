"""Where uploaded files live: stored by content (their SHA-256), behind one small interface.

Two backends keep the same contract (``Storage``):

- ``LocalStorage``: a directory (``UPLOAD_DIR``, by default ``instance/uploads``), each file at
  ``ab/cd/<digest>``, written to a temporary file beside it and renamed into place, so a
  process killed mid-write never leaves half a file under a real name;
- ``S3Storage``: an S3-compatible bucket that several app nodes share, each file at
  ``<S3_PREFIX>ab/<digest>``.

A digest is the only name a file has, and it is never a path a member chooses: every method
accepts exactly 64 lowercase hexadecimal characters and refuses anything else. ``put`` checks
that the bytes it is given have the digest and size the caller says before anything is stored
under that name; storing the same digest again is a no-op. ``storage()`` is the configured
backend of the current app.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import IO, Any, BinaryIO, Protocol

from botocore.exceptions import BotoCoreError, ClientError
from flask import Flask, current_app

log = logging.getLogger(__name__)

EXTENSION = "forum_storage"
# Files are read and written a chunk at a time: a 25 MB upload never sits in memory whole.
CHUNK = 1024 * 1024
# S3: a stream that cannot seek is copied to a temporary file first (in memory up to this).
SPOOL_IN_MEMORY = 4 * CHUNK
TEMP_PREFIX = ".tmp-"
FILE_MODE = 0o640
DIRECTORY_MODE = 0o750
_DIGEST = re.compile(r"[0-9a-f]{64}")
# What an S3-compatible server answers when it does not know the x-amz-checksum-* headers.
_NO_CHECKSUMS = {"NotImplemented", "InvalidArgument", "InvalidRequest"}


class StorageError(Exception):
    """A file could not be stored or read: bad digest, wrong content, the backend failed."""


class InvalidDigest(StorageError, ValueError):
    """Not a digest: anything but 64 lowercase hexadecimal characters."""


class Missing(StorageError, FileNotFoundError):
    """No file is stored under this digest."""


class Storage(Protocol):
    """Files by their SHA-256 (lowercase hex); every backend keeps this contract."""

    def put(self, source: BinaryIO | Path, digest: str, size: int) -> None:
        """Store ``size`` bytes read from ``source``, which must hash to ``digest``.

        Idempotent: a digest already stored is a no-op (``source`` is not read). On a mismatch
        of content or size, ``StorageError`` is raised and nothing is left behind. A file
        object is read from where it stands, in chunks, and not closed.
        """

    def open(self, digest: str) -> BinaryIO:
        """The stored file as a readable stream, for the caller to close; ``Missing`` if none."""

    def exists(self, digest: str) -> bool:
        """Whether a file is stored under ``digest``."""

    def delete(self, digest: str) -> None:
        """Remove the file; a digest not stored is fine."""

    def local_path(self, digest: str) -> Path | None:
        """The file on this machine's disk (for a sandboxed extractor), or None if not local."""

    def sweep_temporary(self, older_than: timedelta = timedelta(hours=1)) -> int:
        """Remove what interrupted writes left behind, older than ``older_than``; how many."""


def is_digest(value: object) -> bool:
    """Whether ``value`` is a SHA-256 digest as this module names files."""
    return isinstance(value, str) and _DIGEST.fullmatch(value) is not None


def check_digest(value: object) -> str:
    """``value`` if it is a digest, else ``InvalidDigest``."""
    if not is_digest(value):
        raise InvalidDigest(f"Not a SHA-256 digest (64 lowercase hex characters): {value!r:.80}")
    return value  # type: ignore[return-value]  # is_digest proved it a str


class LocalStorage:
    """Files in a directory on this machine: ``root/ab/cd/<digest>``."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def path(self, digest: str) -> Path:
        """Where the file with this digest is (or would be) stored."""
        digest = check_digest(digest)
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, source: BinaryIO | Path, digest: str, size: int) -> None:
        """Write to a temporary file beside the final one, fsync, then rename it into place."""
        final = self.path(digest)
        _check_size(size)
        if final.is_file():
            return
        directory = final.parent
        try:
            self._make_directories(directory)
            handle, temporary = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
            try:
                with os.fdopen(handle, "wb") as sink:
                    os.fchmod(sink.fileno(), FILE_MODE)  # mkstemp makes 0o600
                    with _readable(source) as stream:
                        _copy_verified(stream, sink, digest, size)
                    sink.flush()
                    os.fsync(sink.fileno())
                # Atomic: the final name holds the whole file or nothing. Two writers of the
                # same digest write the same bytes, so whichever renames last is right.
                os.replace(temporary, final)
            except BaseException:
                with suppress(FileNotFoundError):
                    os.unlink(temporary)
                raise
            _fsync_directory(directory)  # the rename itself survives a power cut
        except OSError as exc:
            raise StorageError(f"Could not store {digest} under {self.root}: {exc}") from exc

    def open(self, digest: str) -> BinaryIO:
        try:
            return self.path(digest).open("rb")
        except FileNotFoundError:
            raise Missing(errno.ENOENT, "No stored file", digest) from None

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def delete(self, digest: str) -> None:
        # The directories stay: removing them could race with a put into the same one.
        self.path(digest).unlink(missing_ok=True)

    def local_path(self, digest: str) -> Path | None:
        path = self.path(digest)
        if not path.is_file():
            raise Missing(errno.ENOENT, "No stored file", digest)
        return path

    def sweep_temporary(self, older_than: timedelta = timedelta(hours=1)) -> int:
        """Remove temporary files of writes that never finished (a killed process)."""
        # A put in progress keeps its file young (each chunk written touches it).
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        for path in self.root.glob(f"[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/{TEMP_PREFIX}*"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # finished or swept by another process meanwhile
                continue
        if removed:
            log.info("Removed %d unfinished upload(s) from %s", removed, self.root)
        return removed

    def _make_directories(self, directory: Path) -> None:
        self.root.parent.mkdir(parents=True, exist_ok=True)
        for path in (self.root, directory.parent, directory):
            try:
                path.mkdir(mode=DIRECTORY_MODE)
            except FileExistsError:
                continue
            os.chmod(path, DIRECTORY_MODE)  # mkdir's mode passes through the umask


class S3Storage:
    """Files in an S3-compatible bucket (AWS, MinIO, Ceph): ``<prefix>ab/<digest>``.

    Credentials come from boto3's usual chain (``AWS_*`` variables, a profile, the machine's
    role). The content is checked here before it is sent, since not every S3-compatible
    server checks ``x-amz-checksum-sha256`` (moto does not); the SHA-256 and the MD5 go along
    so that a server which can checks the bytes that arrived, and the SHA-256 is checked
    again on reading where the server returns it.
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        prefix: str = "uploads/",
        client: Any = None,
    ) -> None:
        if not bucket:
            raise ValueError("S3Storage needs a bucket name")
        self.bucket = bucket
        prefix = prefix.lstrip("/")
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self.client = client or _s3_client(endpoint_url or None, region or None)
        # Turned off (for this process) by a server that refuses the checksum headers.
        self.checksums = True

    def __repr__(self) -> str:
        return f"S3Storage({self.bucket!r}, prefix={self.prefix!r})"

    def key(self, digest: str) -> str:
        """The object key of the file with this digest."""
        digest = check_digest(digest)
        return f"{self.prefix}{digest[:2]}/{digest}"

    def put(self, source: BinaryIO | Path, digest: str, size: int) -> None:
        """Check the content, then upload it in one PUT (nothing stored if that fails)."""
        key = self.key(digest)
        _check_size(size)
        if self.exists(digest):
            return
        with _readable(source) as stream, _rewindable(stream, digest, size) as (body, md5):
            self._upload(key, body, digest, size, md5)

    def open(self, digest: str) -> BinaryIO:
        key = self.key(digest)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
        except ClientError as exc:
            if _error_code(exc) in {"NoSuchKey", "404"}:
                raise Missing(errno.ENOENT, "No stored file", digest) from None
            raise StorageError(f"Could not read {key} from bucket {self.bucket}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"Could not read {key} from bucket {self.bucket}: {exc}") from exc
        # botocore's StreamingBody: read(n), iteration by chunks, close().
        return response["Body"]

    def exists(self, digest: str) -> bool:
        key = self.key(digest)
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            # A 403 is not "missing": without s3:ListBucket, S3 answers 403 for absent keys too.
            if _error_code(exc) in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise StorageError(f"Could not look up {key} in bucket {self.bucket}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"Could not look up {key} in bucket {self.bucket}: {exc}") from exc
        return True

    def delete(self, digest: str) -> None:
        # In a versioned bucket this only adds a delete marker: the bytes stay until a
        # lifecycle rule expires old versions (docs/deployment.md).
        key = self.key(digest)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"Could not delete {key} in bucket {self.bucket}: {exc}") from exc

    def local_path(self, digest: str) -> Path | None:
        check_digest(digest)
        return None

    def sweep_temporary(self, older_than: timedelta = timedelta(hours=1)) -> int:
        """Nothing to sweep: a single PUT stores the whole object or nothing."""
        return 0

    def _upload(self, key: str, body: IO[bytes], digest: str, size: int, md5: str) -> None:
        arguments: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "Body": body,
            "ContentLength": size,
            "ContentType": "application/octet-stream",
            "ContentMD5": md5,
        }
        checksum = {
            "ChecksumAlgorithm": "SHA256",
            "ChecksumSHA256": base64.b64encode(bytes.fromhex(digest)).decode("ascii"),
        }
        start = body.tell()
        try:
            try:
                self.client.put_object(**arguments, **(checksum if self.checksums else {}))
            except ClientError as exc:
                if not self.checksums or _error_code(exc) not in _NO_CHECKSUMS:
                    raise
                log.warning(
                    "Bucket %s refused the SHA-256 checksum (%s); storing with MD5 only",
                    self.bucket,
                    _error_code(exc),
                )
                self.checksums = False
                body.seek(start)
                self.client.put_object(**arguments)
        except (ClientError, BotoCoreError) as exc:
            # BadDigest: the bytes changed on the way; S3 stored nothing.
            raise StorageError(f"Could not store {key} in bucket {self.bucket}: {exc}") from exc


def storage(app: Flask | None = None) -> Storage:
    """The configured backend of ``app`` (default: the current app), made once per app."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    backend = app.extensions.get(EXTENSION)
    if backend is None:
        backend = app.extensions.setdefault(EXTENSION, create_storage(app))
    return backend


def init_app(app: Flask) -> None:
    """Create the backend now, so a wrong setting stops the app at start, not at an upload."""
    storage(app)


def create_storage(app: Flask) -> Storage:
    """A new backend from ``UPLOAD_STORAGE`` and its settings; ``RuntimeError`` if wrong."""
    config = app.config
    kind = str(config.get("UPLOAD_STORAGE") or "local").strip().lower()
    if kind == "local":
        directory = str(config.get("UPLOAD_DIR") or "")
        return LocalStorage(Path(directory) if directory else Path(app.instance_path) / "uploads")
    if kind == "s3":
        bucket = str(config.get("S3_BUCKET") or "").strip()
        if not bucket:
            raise RuntimeError(
                "FORUM_UPLOAD_STORAGE is 's3' but FORUM_S3_BUCKET is empty: "
                "set FORUM_S3_BUCKET to the bucket's name."
            )
        return S3Storage(
            bucket,
            endpoint_url=str(config.get("S3_ENDPOINT_URL") or "") or None,
            region=str(config.get("S3_REGION") or "") or None,
            prefix=str(config.get("S3_PREFIX") or ""),
        )
    raise RuntimeError(
        f"FORUM_UPLOAD_STORAGE is {config.get('UPLOAD_STORAGE')!r}: it must be 'local' or 's3'."
    )


def _s3_client(endpoint_url: str | None, region: str | None) -> Any:
    import boto3  # only when S3 is configured: a local-only forum never pays for the import
    from botocore.config import Config as BotoConfig

    options: dict[str, Any] = {
        # We send the SHA-256 ourselves; botocore's default CRC32 trailers (aws-chunked
        # encoding) are what many S3-compatible servers cannot read.
        "request_checksum_calculation": "when_required",
        "response_checksum_validation": "when_required",
        "retries": {"mode": "standard", "max_attempts": 3},
        "connect_timeout": 5,
        "read_timeout": 60,
    }
    if endpoint_url:
        # MinIO, Ceph and moto serve buckets by path; virtual hosts need DNS set up for them.
        options["s3"] = {"addressing_style": "path"}
    # A session of its own: boto3's default session is not thread-safe, a client is.
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url, region_name=region, config=BotoConfig(**options)
    )


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _check_size(size: int) -> None:
    if not isinstance(size, int) or size < 0:
        raise StorageError(f"Not a file size: {size!r}")


@contextmanager
def _readable(source: BinaryIO | Path) -> Iterator[BinaryIO]:
    """A path opened (and closed after), or the caller's file object as it is."""
    if isinstance(source, Path):
        with source.open("rb") as stream:
            yield stream
    else:
        yield source


@contextmanager
def _rewindable(stream: BinaryIO, digest: str, size: int) -> Iterator[tuple[IO[bytes], str]]:
    """``stream`` checked against digest and size and rewound, with its MD5 (base64).

    A stream that cannot seek (a socket, a pipe) is copied to a temporary file on the way.
    """
    if stream.seekable():
        start = stream.tell()
        md5 = _copy_verified(stream, None, digest, size)
        stream.seek(start)
        yield stream, md5
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        md5 = _copy_verified(stream, spool, digest, size)
        spool.seek(0)
        yield spool, md5


def _copy_verified(source: IO[bytes], sink: IO[bytes] | None, digest: str, size: int) -> str:
    """Read ``source`` to its end in chunks (into ``sink``); ``StorageError`` unless it is
    exactly ``size`` bytes with this SHA-256. Returns the MD5 (base64) S3 wants as well.
    """
    sha256 = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False)
    seen = 0
    while True:
        # Never more than one byte past the size promised: an endless stream stops here.
        chunk = source.read(min(CHUNK, size - seen + 1))
        if not chunk:
            break
        seen += len(chunk)
        if seen > size:
            raise StorageError(f"More than the {size} bytes promised for {digest}")
        sha256.update(chunk)
        md5.update(chunk)
        if sink is not None:
            sink.write(chunk)
    if seen != size:
        raise StorageError(f"{seen} bytes, not the {size} promised for {digest}")
    if sha256.hexdigest() != digest:
        raise StorageError(f"The content does not have the digest {digest}")
    return base64.b64encode(md5.digest()).decode("ascii")


def _fsync_directory(directory: Path) -> None:
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        handle = os.open(directory, flags)
    except OSError:  # not possible on every platform; the rename is done either way
        return
    try:
        os.fsync(handle)
    except OSError:  # some filesystems cannot sync a directory; the file itself is synced
        pass
    finally:
        os.close(handle)
