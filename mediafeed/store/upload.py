"""Sending objects to S3: small ones put whole from many threads, large files streamed or in
parts from a few, each checked by the store as it arrives and confirmed by its answer."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from io import BufferedReader
from typing import TYPE_CHECKING, Any, BinaryIO

from botocore.exceptions import BotoCoreError, ClientError

from mediafeed.errors import StoreError
from mediafeed.model import OutputObject, Progress

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
Answers = queue.SimpleQueue[tuple[OutputObject | None, BaseException | None]]

# Up to this size an object is read into memory and sent whole by one of SENDERS threads:
# pages, chapters, transcripts, images. A request's cost here is the client's and the
# store's CPU, not bandwidth, so many are in flight at once.
SMALL_BYTES = 4 * 1024 * 1024
SENDERS = 16
# Larger files go by STREAMS threads, each file in one PUT streamed from disk up to
# MULTIPART_BYTES (a local SeaweedFS spends a quarter less CPU on a PUT than on the same
# bytes in parts), above that in parts read one at a time: at most STREAMS parts are in
# memory, whatever the file sizes.
STREAMS = 4
MULTIPART_BYTES = 256 * 1024 * 1024
PART_BYTES = 16 * 1024 * 1024  # the smallest part; larger files get larger parts
MAX_PARTS = 10_000  # S3's limit
REPORT_BYTES = 1024 * 1024  # a streamed file tells the progress bar this often


def digests(
    body: bytes | BufferedReader, *, checksum: bool, sha256: str | None = None
) -> dict[str, Any]:
    """The header the store checks the bytes against as they arrive: the SHA-256 (ours, or
    computed here) where the store does checksums, else Content-MD5, which any S3 store
    checks. A file is read and put back at its start."""
    if checksum:
        raw = bytes.fromhex(sha256) if sha256 else _digest(body, "sha256")
        return {"ChecksumSHA256": base64.b64encode(raw).decode()}
    return {"ContentMD5": base64.b64encode(_digest(body, "md5")).decode()}


def _digest(body: bytes | BufferedReader, name: str) -> bytes:
    if isinstance(body, bytes):
        return hashlib.new(name, body).digest()
    digest = hashlib.file_digest(body, name).digest()
    body.seek(0)
    return digest


class Uploads:
    """One publish's upload threads: SENDERS for small objects, STREAMS for large files and
    parts. `send` yields each object once it landed and its answer confirmed the bytes;
    `sent` counts the bytes, and `progress` hears of them, one call at a time."""

    def __init__(
        self, client: S3Client, bucket: str, progress: Progress | None, *, checksum: bool
    ) -> None:
        self.client, self.bucket, self.checksum = client, bucket, checksum
        self.progress, self.sent, self._lock = progress, 0, threading.Lock()
        self._small, self._large = _Pool(SENDERS), _Pool(STREAMS)
        self._open: dict[str, str] = {}  # multipart uploads not yet completed: id -> key

    def __enter__(self) -> Uploads:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        # Ctrl-C does not wait for what is in flight (the claims cover it): a stalled
        # request would hold the exit until its read timeout.
        stopped = kind is not None and issubclass(kind, KeyboardInterrupt)
        for pool in (self._small, self._large):
            pool.shutdown(wait=not stopped)
        if kind is not None and not stopped:
            for upload_id, key in list(self._open.items()):
                # A failed run's parts hold storage; the next run aborts what this one cannot.
                with contextlib.suppress(ClientError, BotoCoreError):
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=key, UploadId=upload_id
                    )

    def send(self, items: Sequence[tuple[str, OutputObject]]) -> Iterator[OutputObject]:
        """Send (store key, object) pairs at once, in any order; yield each as it lands."""
        answers: Answers = queue.SimpleQueue()
        tasks = 0
        for key, obj in items:
            if obj.size <= MULTIPART_BYTES:
                pool = self._small if obj.size <= SMALL_BYTES else self._large
                pool.put(self._put, key, obj, answers)
                tasks += 1
            else:
                tasks += self._put_parts(key, obj, answers)
        for _ in range(tasks):
            landed, error = answers.get()
            if error is not None:
                raise error
            if landed is not None:
                if landed.size <= SMALL_BYTES:
                    self.advance(landed.size)  # a larger file told as it was read
                with self._lock:
                    if self.progress:
                        self.progress.landed(landed.key)
                yield landed

    def advance(self, nbytes: int) -> None:
        with self._lock:
            self.sent += nbytes
            if self.progress:
                self.progress.advance(nbytes)

    def _put(self, key: str, obj: OutputObject) -> OutputObject:
        """One PUT: up to SMALL_BYTES read into memory, a larger file streamed from disk."""
        with open(obj.path, "rb") as handle:
            body: Any = handle.read() if obj.size <= SMALL_BYTES else handle
            if isinstance(body, bytes) and len(body) != obj.size:
                raise StoreError("file changed since the build", path=obj.path)
            sent = digests(body, checksum=self.checksum, sha256=obj.sha256)
            if body is handle:
                body = _Reading(handle, obj.size, self.advance)
            answer = self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentLength=obj.size,
                ContentType=obj.content_type,
                CacheControl=obj.cache_control,
                # Our own content hash: a multipart ETag is not the file's MD5.
                Metadata={"sha256": obj.sha256},
                **sent,
            )
        _confirm(answer, sent, key)
        return obj

    def _put_parts(self, key: str, obj: OutputObject, answers: Answers) -> int:
        """A large file as parts of at least PART_BYTES, sent by the stream threads; the
        thread that sends the last part completes the upload."""
        extra: dict[str, Any] = {"ChecksumAlgorithm": "SHA256"} if self.checksum else {}
        upload_id = self.client.create_multipart_upload(
            Bucket=self.bucket,
            Key=key,
            ContentType=obj.content_type,
            CacheControl=obj.cache_control,
            Metadata={"sha256": obj.sha256},
            **extra,
        )["UploadId"]
        self._open[upload_id] = key
        size = max(PART_BYTES, -(-obj.size // MAX_PARTS))
        parts: list[dict[str, Any]] = [{} for _ in range(-(-obj.size // size))]
        left = [len(parts)]
        lock = threading.Lock()

        def part(number: int) -> OutputObject | None:
            with open(obj.path, "rb") as handle:
                handle.seek((number - 1) * size)
                body = handle.read(size)
            sent = digests(body, checksum=self.checksum)
            answer = self.client.upload_part(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                Body=body,
                **sent,
            )
            _confirm(answer, sent, key)
            parts[number - 1] = {"PartNumber": number, "ETag": answer["ETag"]}
            if self.checksum:
                parts[number - 1]["ChecksumSHA256"] = sent["ChecksumSHA256"]
            self.advance(len(body))
            with lock:
                left[0] -= 1
                if left[0]:
                    return None
            done: Any = {"Parts": parts}
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload=done
            )
            del self._open[upload_id]
            if self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"] != obj.size:
                raise StoreError("the store holds another size than was sent", path=key)
            return obj

        for number in range(1, len(parts) + 1):
            self._large.put(part, number, answers)
        return len(parts)


def _confirm(answer: Any, sent: dict[str, Any], key: str) -> None:
    """The store's answer must speak of the bytes sent: its echo of our SHA-256, or an ETag
    that is the MD5 we sent (what an unencrypted single PUT's ETag is). A store that
    echoes neither has already checked the header, or does no checks at all."""
    echoed = answer.get("ChecksumSHA256")
    if "ChecksumSHA256" in sent and echoed is not None:
        if echoed.split("-")[0] != sent["ChecksumSHA256"]:
            raise StoreError("the store holds other bytes than were sent", path=key)
    elif "ContentMD5" in sent:
        etag = str(answer.get("ETag", "")).strip('"')
        md5 = base64.b64decode(sent["ContentMD5"]).hex()
        if len(etag) == 32 and "-" not in etag and etag != md5:
            raise StoreError("the store holds other bytes than were sent", path=key)


class _Pool:
    """Threads taking tasks in turn, each answer put on the caller's queue; daemons, so the
    process may end while one still waits for a stalled answer."""

    def __init__(self, count: int) -> None:
        self._work: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]] | None]
        self._work = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(count)]
        for thread in self._threads:
            thread.start()

    def put(self, task: Callable[..., OutputObject | None], *args: Any) -> None:
        """Run task(*args[:-1]); put (its result, None) or (None, its error) on args[-1]."""
        self._work.put((task, args))

    def _run(self) -> None:
        while (item := self._work.get()) is not None:
            task, args = item
            try:
                args[-1].put((task(*args[:-1]), None))
            except BaseException as exc:  # noqa: BLE001  # the caller raises it
                args[-1].put((None, exc))

    def shutdown(self, *, wait: bool) -> None:
        """Drop what has not started; with `wait`, let the rest finish."""
        with contextlib.suppress(queue.Empty):
            while True:
                self._work.get_nowait()
        for _ in self._threads:
            self._work.put(None)
        for thread in self._threads if wait else ():
            thread.join()


class _Reading:
    """A file as a request body that tells `advance` how far it was read; the rewind before
    a retry takes back what it had told."""

    def __init__(self, handle: BinaryIO, size: int, advance: Callable[[int], None]) -> None:
        self._handle, self._size, self._advance = handle, size, advance
        self._untold = 0

    def __len__(self) -> int:
        return self._size

    def read(self, amount: int = -1) -> bytes:
        data = self._handle.read(amount)
        self._untold += len(data)
        if self._untold >= REPORT_BYTES or not data:
            self._advance(self._untold)
            self._untold = 0
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        told = self._handle.tell() - self._untold
        where = self._handle.seek(offset, whence)
        self._untold = 0
        self._advance(where - told)
        return where

    def tell(self) -> int:
        return self._handle.tell()
