"""Talking to S3: the client's settings, parallel HEADs and listings, deletes, and botocore's
errors as one-line StoreErrors."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    NoCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

from mediafeed.errors import StoreError
from mediafeed.store.listing import Page, list_prefix
from mediafeed.store.upload import SENDERS, STREAMS

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = Any

# Parallel HEAD requests, for the few objects a plan must ask about one by one.
CHECKERS = 8
# Parallel listings of key ranges, one range each: most of a listing's time is the store
# reading its index, which it does for several requests at once (8 beat 4 and 16 on a
# local SeaweedFS with 20,000 objects).
LISTERS = 8
# Keys per listing range: below a few pages a range does not pay for its own requests.
RANGE_KEYS = 2500
CONNECT_TIMEOUT = 10.0
# A connection that stalls longer than this is dropped and the request retried.
READ_TIMEOUT = 60.0
# Standard retry mode: exponential backoff with jitter on throttling (SlowDown), 5xx,
# timeouts and dropped connections, per request and per multipart part.
MAX_ATTEMPTS = 8
_DENIED = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "Forbidden"}
_MISSING_BUCKET = {"NoSuchBucket", "404", "NotFound"}
_BUSY = {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout"}


def client_config(
    *,
    path_style: bool,
    read_timeout: float = READ_TIMEOUT,
    max_attempts: int = MAX_ATTEMPTS,
    checksums: str = "when_supported",
) -> Config:
    mode: Literal["when_supported", "when_required"] = (
        "when_required" if checksums == "when_required" else "when_supported"
    )
    return Config(
        request_checksum_calculation=mode,
        response_checksum_validation=mode,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=read_timeout,
        retries={"mode": "standard", "max_attempts": max_attempts},
        max_pool_connections=max(SENDERS + STREAMS, LISTERS, CHECKERS),
        tcp_keepalive=True,
        # Every body we send carries a digest the store checks (Content-MD5 or our own
        # SHA-256), so hashing it a second time for the signature, as botocore does over
        # plain http, buys nothing; as over https, the payload goes unsigned.
        s3={"addressing_style": "path" if path_style else "auto", "payload_signing_enabled": False},
    )


def remote_sha256s(client: S3Client, bucket: str, keys: Iterable[str]) -> dict[str, str | None]:
    """The sha256 our uploads put in each object's metadata (None if absent), by HEAD."""

    def head(key: str) -> str | None:
        try:
            answer = client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise
        return answer.get("Metadata", {}).get("sha256")

    keys = list(keys)
    if not keys:
        return {}
    with ThreadPoolExecutor(max_workers=min(CHECKERS, len(keys))) as pool:
        return dict(zip(keys, pool.map(head, keys), strict=True))


def list_sizes(
    client: S3Client, bucket: str, prefix: str, sample: Sequence[str] = ()
) -> dict[str, int]:
    """Size of every object whose key starts with `prefix`, by full key; `sample`, keys the
    store is expected to hold, cuts the listing into ranges listed at once."""

    def fetch(after: str | None, token: str | None, limit: int) -> Page:
        args: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": limit}
        if after is not None:
            args["StartAfter"] = after
        if token is not None:
            args["ContinuationToken"] = token
        page = client.list_objects_v2(**args)
        objects = [
            (item["Key"], item["Size"], item.get("ETag", "")) for item in page.get("Contents", ())
        ]
        return Page(
            objects, page.get("NextContinuationToken", "") if page.get("IsTruncated") else None
        )

    listed = list_prefix(fetch, sample, listers=LISTERS, range_keys=RANGE_KEYS)
    return {key: size for key, (size, _) in listed.items()}


def delete(client: S3Client, bucket: str, keys: Sequence[str]) -> None:
    for start in range(0, len(keys), 1000):
        batch = keys[start : start + 1000]
        answer = client.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
        )
        for error in answer.get("Errors", []):
            raise StoreError(f"could not delete: {error.get('Code')}", path=error.get("Key"))


def abort_unfinished(client: S3Client, bucket: str, prefix: str, keys: set[str]) -> int:
    """Abort multipart uploads a killed run left behind for `keys`; they hold storage."""
    aborted = 0
    try:
        pages = client.get_paginator("list_multipart_uploads").paginate(
            Bucket=bucket, Prefix=prefix
        )
        for page in pages:
            for upload in page.get("Uploads", []):
                if upload["Key"] in keys:
                    client.abort_multipart_upload(
                        Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    aborted += 1
    except ClientError as exc:
        # Some S3-compatible stores do not list uploads; leftovers then wait for the
        # bucket's lifecycle rule, which is what the store offers for them.
        if _code(exc) not in {"NotImplemented", "501"}:
            raise
    return aborted


@contextmanager
def store_errors(bucket: str, where: str, profile: str | None) -> Iterator[None]:
    """Turn botocore's exceptions into one-line StoreErrors that never carry credentials."""
    resume = "run publish again to finish; what landed is not sent twice"
    try:
        yield
    except ClientError as exc:
        code = _code(exc)
        if (code in _MISSING_BUCKET and exc.operation_name == "HeadBucket") or (
            code == "NoSuchBucket"
        ):
            raise StoreError(f"bucket '{bucket}' does not exist at {where}") from None
        if code in _DENIED:
            raise StoreError(
                f"access denied to bucket '{bucket}' at {where}: check credentials"
            ) from None
        message = exc.response.get("Error", {}).get("Message", "")
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        hint = f"; {resume}" if status >= 500 or code in _BUSY else ""
        raise StoreError(
            f"{exc.operation_name} failed at {where}: {code} {message}{hint}"
        ) from None
    except NoCredentialsError:
        raise StoreError(
            "no credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile"
        ) from None
    except ProfileNotFound:
        raise StoreError(f"AWS profile '{profile}' not found", field="publish.profile") from None
    except EndpointConnectionError:
        raise StoreError(f"cannot reach the store at {where}") from None
    except (ReadTimeoutError, ConnectionClosedError) as exc:
        raise StoreError(
            f"the store at {where} kept dropping the connection ({type(exc).__name__}); {resume}"
        ) from None
    except BotoCoreError as exc:
        raise StoreError(f"store error at {where}: {type(exc).__name__}; {resume}") from None
    except OSError as exc:
        raise StoreError(f"cannot read or send: {exc.strerror or exc}", path=exc.filename) from None


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
