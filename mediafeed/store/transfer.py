"""Talking to S3: parallel HEADs and listings, reads of our JSON objects, deletes, and
botocore's errors as one-line StoreErrors."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from mediafeed.store.target import Target

# Parallel HEAD requests, for the few objects a plan must ask about one by one.
CHECKERS = 8
# Parallel listings of key ranges, one range each: most of a listing's time is the store
# reading its index, which it does for several requests at once (8 beat 4 and 16 on a
# local SeaweedFS with 20,000 objects).
LISTERS = 8
# Keys per listing range: below a few pages a range does not pay for its own requests.
RANGE_KEYS = 2500
_DENIED = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "Forbidden"}
_MISSING = {"NoSuchKey", "404", "NotFound"}
_BUSY = {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout"}


# What HEAD says of an object: the sha256 our uploads put in its metadata (None if it has
# none), and its content type and cache lifetime.
Head = tuple[str | None, str, str]


def remote_heads(client: S3Client, bucket: str, keys: Iterable[str]) -> dict[str, Head | None]:
    """What HEAD says of each object; None for one that is not there."""

    def head(key: str) -> Head | None:
        try:
            answer = client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise
        found = answer.get("Metadata", {}).get("sha256")
        return found, answer.get("ContentType", ""), answer.get("CacheControl", "")

    keys = list(keys)
    if not keys:
        return {}
    with ThreadPoolExecutor(max_workers=min(CHECKERS, len(keys))) as pool:
        return dict(zip(keys, pool.map(head, keys), strict=True))


def get_json(client: S3Client, target: Target, name: str) -> Any:
    """The JSON object stored under `name` in the prefix; None if missing or unreadable."""
    try:
        answer = client.get_object(Bucket=target.bucket, Key=target.key(name))
    except ClientError as exc:
        if _code(exc) in _MISSING:
            return None
        raise
    try:
        return json.loads(answer["Body"].read())
    except (ValueError, AttributeError):
        return None


def list_sizes(
    client: S3Client, bucket: str, prefix: str, names: Iterable[str] = ()
) -> dict[str, int]:
    """Size of every object under `prefix`, by name; `names`, those the store is expected
    to hold, cut the listing into ranges listed at once."""

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

    listed = list_prefix(fetch, prefix, names, listers=LISTERS, range_keys=RANGE_KEYS)
    return {name: size for name, (size, _) in listed.items()}


def delete(client: S3Client, bucket: str, keys: Sequence[str]) -> None:
    for start in range(0, len(keys), 1000):
        batch = keys[start : start + 1000]
        answer = client.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
        )
        for error in answer.get("Errors", []):
            raise StoreError(f"could not delete: {error.get('Code')}", path=error.get("Key"))


def abort_unfinished(client: S3Client, bucket: str, prefix: str, keys: set[str]) -> None:
    """Abort multipart uploads a killed run left behind for `keys`; they hold storage."""
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
    except ClientError as exc:
        # Some S3-compatible stores do not list uploads; leftovers then wait for the
        # bucket's lifecycle rule, which is what the store offers for them.
        if _code(exc) not in {"NotImplemented", "501"}:
            raise


@contextmanager
def store_errors(target: Target) -> Iterator[None]:
    """Turn botocore's exceptions into one-line StoreErrors that never carry credentials."""
    bucket, where = target.bucket, target.endpoint_url or "AWS S3"
    resume = "run publish again to finish; what landed is not sent twice"
    try:
        yield
        return
    except ClientError as exc:
        code = _code(exc)
        if code == "NoSuchBucket" or (code in _MISSING and exc.operation_name == "HeadBucket"):
            problem = f"bucket '{bucket}' does not exist at {where}"
        elif code in _DENIED:
            problem = f"access denied to bucket '{bucket}' at {where}: check credentials"
        else:
            message = exc.response.get("Error", {}).get("Message", "")
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            hint = f"; {resume}" if status >= 500 or code in _BUSY else ""
            problem = f"{exc.operation_name} failed at {where}: {code} {message}{hint}"
    except NoCredentialsError:
        problem = "no credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile"
    except ProfileNotFound:
        message = f"AWS profile '{target.profile}' not found"
        raise StoreError(message, field="publish.profile") from None
    except EndpointConnectionError:
        problem = f"cannot reach the store at {where}"
    except (ReadTimeoutError, ConnectionClosedError) as exc:
        dropped = f"kept dropping the connection ({type(exc).__name__})"
        problem = f"the store at {where} {dropped}; {resume}"
    except BotoCoreError as exc:
        problem = f"store error at {where}: {type(exc).__name__}; {resume}"
    except OSError as exc:
        raise StoreError(f"cannot read or send: {exc.strerror or exc}", path=exc.filename) from None
    raise StoreError(problem)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
