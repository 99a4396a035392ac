"""Where a show goes: a bucket and prefix on an S3-compatible store, and a client for it."""

from __future__ import annotations

import contextlib
import re
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mediafeed.errors import StoreError
from mediafeed.model import PublishSettings

if TYPE_CHECKING:  # boto3 loads only where a client is made: an unchanged publish needs none
    from mypy_boto3_s3 import S3Client

    from mediafeed.store.local import LocalStore
else:
    S3Client = Any

# Anything check_key might refuse: a key without any passes at regex speed, which counts
# for 20,000 keys.
_SUSPECT_KEY = re.compile(r"[^\x20-\x7e]|\\|^/|//|/$|(?:^|/)\.\.?(?:/|$)")


@dataclass(frozen=True)
class Target:
    """A bucket and prefix on some S3-compatible store, and the URL listeners fetch from."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    public_url: str | None = None
    # botocore's request_checksum_calculation and response_checksum_validation; with
    # when_supported our uploads also ask the store to check a SHA-256 of the bytes.
    checksums: str = "when_supported"

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
            checksums=settings.checksums or default_checksums(settings.endpoint_url),
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
                check_key(part, label)
        if not name:
            raise StoreError("empty object key", field="key")
        return f"{self.prefix}/{name}" if self.prefix else name

    def check_names(self, names: list[str]) -> None:
        """Refuse what `key` would of any of the names, the prefix checked once."""
        if self.prefix:
            check_key(self.prefix, "prefix")
        for name in names:
            if not name:
                raise StoreError("empty object key", field="key")
            check_key(name, "key")


def default_checksums(endpoint_url: str | None) -> str:
    """AWS checks the checksums boto3 sends since 1.36; several S3-compatible stores
    (Backblaze B2, Garage, older MinIO and R2) refuse them, so any other endpoint gets
    them only where an operation requires them."""
    host = urllib.parse.urlsplit(endpoint_url or "").hostname or ""
    if not endpoint_url or host == "amazonaws.com" or host.endswith(".amazonaws.com"):
        return "when_supported"
    return "when_required"


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


def make_client(
    target: Target,
    *,
    credentials: tuple[str, str] | None = None,
    read_timeout: float | None = None,
    max_attempts: int | None = None,
) -> S3Client:
    """An S3 client from the standard AWS chain; explicit keys only for the embedded store."""
    import boto3
    import botocore.session

    from mediafeed.store import transfer

    access, secret = credentials if credentials else (None, None)
    config = transfer.client_config(
        path_style=bool(target.endpoint_url),
        read_timeout=transfer.READ_TIMEOUT if read_timeout is None else read_timeout,
        max_attempts=transfer.MAX_ATTEMPTS if max_attempts is None else max_attempts,
        checksums=target.checksums,
    )
    with store_errors(target):
        core = botocore.session.Session()
        # Timestamps stay strings: nothing here reads them, and parsing the LastModified of
        # every listed object is much of what listing a large show costs.
        core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=str)
        session = boto3.session.Session(
            botocore_session=core,
            profile_name=target.profile,
            aws_access_key_id=access,
            aws_secret_access_key=secret,
            region_name=target.region or ("us-east-1" if target.endpoint_url else None),
        )
        return session.client("s3", endpoint_url=target.endpoint_url, config=config)


def check_key(key: str, label: str) -> None:
    if not _SUSPECT_KEY.search(key):
        return
    if not key.isascii() or any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise StoreError(f"{label} must be printable ASCII (Apple rejects others)", path=key)
    if key.startswith("/") or "\\" in key:
        raise StoreError(f"{label} must be relative, with '/' separators", path=key)
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise StoreError(f"{label} must stay under the prefix (no '..' or empty parts)", path=key)


def store_errors(target: Target) -> contextlib.AbstractContextManager[None]:
    from mediafeed.store import transfer

    return transfer.store_errors(target.bucket, target.where, target.profile)
