"""Upload a build's manifest to S3-compatible storage: only what changed, the feed last."""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

import boto3
from boto3.s3.transfer import TransferConfig, create_transfer_manager
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ProfileNotFound,
)
from s3transfer.exceptions import RetriesExceededError
from s3transfer.subscribers import BaseSubscriber

from mediafeed import __version__
from mediafeed.errors import StoreError
from mediafeed.localstore import LocalStore
from mediafeed.manifest import upload_rank
from mediafeed.model import Manifest, OutputObject, PublishSettings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = Any

RECORD_KEY = ".mediafeed/manifest.json"
MULTIPART_BYTES = 16 * 1024 * 1024
# Parallel parts and files; with 16 MiB parts this bounds buffered data to about 100 MiB.
CONCURRENCY = 6
_DENIED = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "Forbidden"}
_MISSING_BUCKET = {"NoSuchBucket", "404", "NotFound"}


class Progress(Protocol):
    """Where upload progress goes; the CLI supplies a bar, tests a recorder.

    Calls are serialized, so an implementation needs no locking of its own.
    """

    def start(self, total_bytes: int, total_files: int) -> None: ...

    def advance(self, nbytes: int) -> None: ...

    def done(self) -> None: ...


@dataclass(frozen=True)
class Target:
    """A bucket and prefix on some S3-compatible store, and the URL listeners fetch from."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    public_url: str | None = None

    @classmethod
    def from_settings(cls, settings: PublishSettings) -> Target:
        if not settings.bucket:
            raise StoreError("no publish target configured", field="publish.target")
        return cls(
            bucket=settings.bucket,
            prefix=settings.prefix,
            endpoint_url=settings.endpoint_url,
            region=settings.region,
            profile=settings.profile,
            public_url=settings.public_url,
        )

    @property
    def where(self) -> str:
        return self.endpoint_url or "AWS S3"

    def base_url(self) -> str:
        """The public URL of the prefix, without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        if self.endpoint_url:
            base = f"{self.endpoint_url.rstrip('/')}/{self.bucket}"
        else:
            base = f"https://{self.bucket}.s3.{self.region or 'us-east-1'}.amazonaws.com"
        return f"{base}/{self.prefix}" if self.prefix else base

    def key(self, name: str) -> str:
        """The full store key for an object name, refused unless ASCII and under the prefix."""
        for part, label in ((self.prefix, "prefix"), (name, "key")):
            if part:
                _check_key(part, label)
        if not name:
            raise StoreError("empty object key", field="key")
        return f"{self.prefix}/{name}" if self.prefix else name


def local_target(store: LocalStore, prefix: str = "") -> tuple[Target, tuple[str, str]]:
    """The target and credentials for the embedded store."""
    target = Target(
        bucket=store.bucket,
        prefix=prefix.strip("/"),
        endpoint_url=store.endpoint_url,
        region="us-east-1",
        public_url=store.public_url(prefix),
    )
    return target, (store.access_key, store.secret_key)


@dataclass(frozen=True)
class Plan:
    """What a publish would do, decided by our own content hashes."""

    uploads: tuple[OutputObject, ...]
    unchanged: tuple[OutputObject, ...]
    deletions: tuple[str, ...]  # names we published before and the build dropped (--prune)
    retained: tuple[str, ...]  # such names kept because pruning was not asked for
    record: dict[str, dict[str, Any]]  # what the store held per our record, by name

    def next_record(self) -> dict[str, dict[str, Any]]:
        """The record after this plan ran: everything published and still owned."""
        entries = {o.key: {"sha256": o.sha256, "size": o.size} for o in self.unchanged}
        entries.update({o.key: {"sha256": o.sha256, "size": o.size} for o in self.uploads})
        entries.update({name: self.record[name] for name in self.retained})
        return dict(sorted(entries.items()))


@dataclass(frozen=True)
class PublishReport:
    uploaded: tuple[str, ...]
    unchanged: tuple[str, ...]
    deleted: tuple[str, ...]
    bytes_sent: int
    feed_url: str
    dry_run: bool = False


def make_client(target: Target, *, credentials: tuple[str, str] | None = None) -> S3Client:
    """An S3 client from the standard AWS chain; explicit keys only for the embedded store."""
    access, secret = credentials if credentials else (None, None)
    config = Config(
        connect_timeout=10,
        read_timeout=120,
        retries={"mode": "standard", "max_attempts": 6},
        s3={"addressing_style": "path" if target.endpoint_url else "auto"},
    )
    with _store_errors(target):
        session = boto3.session.Session(
            profile_name=target.profile,
            aws_access_key_id=access,
            aws_secret_access_key=secret,
            region_name=target.region or ("us-east-1" if target.endpoint_url else None),
        )
        return session.client("s3", endpoint_url=target.endpoint_url, config=config)


def plan(manifest: Manifest, client: S3Client, target: Target, *, prune: bool = False) -> Plan:
    """Compare the build with what the store holds, by sha256, never by ETag."""
    for obj in manifest.objects:
        target.key(obj.key)
        if obj.key == RECORD_KEY or obj.key.startswith(".mediafeed/"):
            raise StoreError("key is reserved for the publish record", path=obj.key, field="key")
    with _store_errors(target):
        record = _read_record(client, target)
        sizes = _list_sizes(client, target)
        uploads: list[OutputObject] = []
        unchanged: list[OutputObject] = []
        for obj in manifest.objects:
            if sizes.get(obj.key) != obj.size:
                uploads.append(obj)
            elif record.get(obj.key, {}).get("sha256") == obj.sha256:
                unchanged.append(obj)
            elif _remote_sha256(client, target, obj.key) == obj.sha256:
                # Uploaded by a run that failed before writing the record: adopt it.
                unchanged.append(obj)
            else:
                uploads.append(obj)
    built = {obj.key for obj in manifest.objects}
    stale = tuple(sorted(name for name in record if name not in built))
    return Plan(
        uploads=tuple(uploads),
        unchanged=tuple(unchanged),
        deletions=stale if prune else (),
        retained=() if prune else stale,
        record=record,
    )


def publish(
    manifest: Manifest,
    client: S3Client,
    target: Target,
    *,
    dry_run: bool = False,
    prune: bool = False,
    progress: Progress | None = None,
) -> PublishReport:
    """Upload what changed: media and pages, then the feed, then the record, then prune."""
    feed_url = f"{target.base_url()}/{manifest.feed_key}"
    with _store_errors(target):
        client.head_bucket(Bucket=target.bucket)
    the_plan = plan(manifest, client, target, prune=prune)
    report = PublishReport(
        uploaded=tuple(o.key for o in the_plan.uploads),
        unchanged=tuple(o.key for o in the_plan.unchanged),
        deleted=the_plan.deletions,
        bytes_sent=0,
        feed_url=feed_url,
        dry_run=dry_run,
    )
    if dry_run:
        return report
    for obj in the_plan.uploads:
        if not obj.path.is_file() or obj.path.stat().st_size != obj.size:
            raise StoreError("file is missing or changed since the build", path=obj.path)
    sink = _Sink(progress)
    sink.start(sum(o.size for o in the_plan.uploads), len(the_plan.uploads))
    with _store_errors(target):
        # Listeners must never see an enclosure or page link that is not there yet: what
        # others point at goes first, wave by wave, and the feed after everything.
        for wave in _waves(the_plan.uploads, manifest.feed_key):
            _upload(client, target, wave, sink)
        body = json.dumps(
            {"generator": f"mediafeed {__version__}", "objects": the_plan.next_record()},
            indent=1,
        ).encode()
        client.put_object(
            Bucket=target.bucket,
            Key=target.key(RECORD_KEY),
            Body=body,
            ContentType="application/json",
            CacheControl="no-cache",
        )
        _delete(client, target, the_plan.deletions)
    sink.done()
    return replace(report, bytes_sent=sink.sent)


def _waves(objects: tuple[OutputObject, ...], feed_key: str) -> list[list[OutputObject]]:
    ranks: dict[int, list[OutputObject]] = {}
    for obj in objects:
        rank = sys.maxsize if obj.key == feed_key else upload_rank(obj.key)
        ranks.setdefault(rank, []).append(obj)
    return [ranks[rank] for rank in sorted(ranks)]


def _upload(client: S3Client, target: Target, objects: list[OutputObject], sink: _Sink) -> None:
    """Upload in parallel (multipart for large files), then check each by a HEAD."""
    if not objects:
        return
    config = TransferConfig(
        multipart_threshold=MULTIPART_BYTES,
        multipart_chunksize=MULTIPART_BYTES,
        max_concurrency=CONCURRENCY,
        use_threads=True,
    )
    with create_transfer_manager(client, config) as manager:
        futures = [
            manager.upload(
                str(obj.path),
                target.bucket,
                target.key(obj.key),
                extra_args={
                    "ContentType": obj.content_type,
                    "CacheControl": obj.cache_control,
                    "Metadata": {"sha256": obj.sha256},
                    "ChecksumAlgorithm": "SHA256",
                },
                subscribers=[sink],
            )
            for obj in objects
        ]
        for future in futures:
            future.result()
    for obj in objects:
        head = client.head_object(Bucket=target.bucket, Key=target.key(obj.key))
        if head["ContentLength"] != obj.size or head["Metadata"].get("sha256") != obj.sha256:
            raise StoreError("the store holds other bytes than were sent", path=obj.key)


def _delete(client: S3Client, target: Target, names: tuple[str, ...]) -> None:
    for start in range(0, len(names), 1000):
        batch = names[start : start + 1000]
        answer = client.delete_objects(
            Bucket=target.bucket,
            Delete={"Objects": [{"Key": target.key(n)} for n in batch], "Quiet": True},
        )
        for error in answer.get("Errors", []):
            raise StoreError(f"could not delete: {error.get('Code')}", path=error.get("Key"))


def _read_record(client: S3Client, target: Target) -> dict[str, dict[str, Any]]:
    try:
        answer = client.get_object(Bucket=target.bucket, Key=target.key(RECORD_KEY))
    except ClientError as exc:
        if _code(exc) in {"NoSuchKey", "404", "NotFound"}:
            return {}
        raise
    try:
        objects = json.loads(answer["Body"].read())["objects"]
    except (ValueError, KeyError, TypeError):
        # An unreadable record owns nothing: prune then deletes nothing, which is safe.
        return {}
    if not isinstance(objects, dict):
        return {}
    return {str(k): v for k, v in objects.items() if isinstance(v, dict)}


def _list_sizes(client: S3Client, target: Target) -> dict[str, int]:
    """Size of every object under the prefix, by name relative to the prefix."""
    head = f"{target.prefix}/" if target.prefix else ""
    sizes: dict[str, int] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=target.bucket, Prefix=head):
        for item in page.get("Contents", []):
            sizes[item["Key"].removeprefix(head)] = item["Size"]
    return sizes


def _remote_sha256(client: S3Client, target: Target, name: str) -> str | None:
    head = client.head_object(Bucket=target.bucket, Key=target.key(name))
    found = head.get("Metadata", {}).get("sha256")
    return str(found) if found is not None else None


def _check_key(key: str, label: str) -> None:
    if not key.isascii() or any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise StoreError(f"{label} must be printable ASCII (Apple rejects others)", path=key)
    if key.startswith("/") or "\\" in key:
        raise StoreError(f"{label} must be relative, with '/' separators", path=key)
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise StoreError(f"{label} must stay under the prefix (no '..' or empty parts)", path=key)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextlib.contextmanager
def _store_errors(target: Target) -> Iterator[None]:
    """Turn botocore's exceptions into one-line StoreErrors that never carry credentials."""
    try:
        yield
    except ClientError as exc:
        code = _code(exc)
        if (code in _MISSING_BUCKET and exc.operation_name == "HeadBucket") or (
            code == "NoSuchBucket"
        ):
            raise StoreError(f"bucket '{target.bucket}' does not exist at {target.where}") from None
        if code in _DENIED:
            raise StoreError(
                f"access denied to bucket '{target.bucket}' at {target.where}: check credentials"
            ) from None
        message = exc.response.get("Error", {}).get("Message", "")
        raise StoreError(
            f"{exc.operation_name} failed at {target.where}: {code} {message}"
        ) from None
    except NoCredentialsError:
        raise StoreError(
            "no credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile"
        ) from None
    except ProfileNotFound:
        raise StoreError(
            f"AWS profile '{target.profile}' not found", field="publish.profile"
        ) from None
    except EndpointConnectionError:
        raise StoreError(f"cannot reach the store at {target.where}") from None
    except (BotoCoreError, RetriesExceededError) as exc:
        raise StoreError(f"store error at {target.where}: {type(exc).__name__}") from None
    except OSError as exc:
        raise StoreError(f"cannot read or send: {exc.strerror or exc}", path=exc.filename) from None


class _Sink(BaseSubscriber):  # type: ignore[misc]
    """Serializes progress calls from transfer threads and counts the bytes sent."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._lock = threading.Lock()
        self.sent = 0

    def start(self, total_bytes: int, total_files: int) -> None:
        if self._progress:
            self._progress.start(total_bytes, total_files)

    def advance(self, nbytes: int) -> None:
        with self._lock:
            self.sent += nbytes
            if self._progress:
                self._progress.advance(nbytes)

    def done(self) -> None:
        if self._progress:
            self._progress.done()

    def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
        self.advance(bytes_transferred)
