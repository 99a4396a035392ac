"""Where a show goes: a bucket and prefix on an S3-compatible store, and a client for it."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from mediafeed.errors import StoreError
from mediafeed.model import PublishSettings

if TYPE_CHECKING:  # boto3 loads only where a client is made: an unchanged publish needs none
    from mypy_boto3_s3 import S3Client

    from mediafeed.store.local import LocalStore

# Anything check_key might refuse: a key without any passes at regex speed, which counts
# for 20,000 keys.
_SUSPECT_KEY = re.compile(r"[^\x20-\x7e]|\\|^/|//|/$|(?:^|/)\.\.?(?:/|$)")
CONNECT_TIMEOUT = 10.0
# A connection that stalls longer than this is dropped and the request retried.
READ_TIMEOUT = 60.0
# Standard retry mode: exponential backoff with jitter on throttling (SlowDown), 5xx,
# timeouts and dropped connections, per request and per multipart part.
MAX_ATTEMPTS = 8


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
    def folder(self) -> str:
        """The prefix as every key under it starts."""
        return f"{self.prefix}/" if self.prefix else ""

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
        """The store key for an object name, refused unless ASCII and under the prefix."""
        self.check_names([name])
        return self.folder + name

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
    read_timeout: float = READ_TIMEOUT,
    max_attempts: int = MAX_ATTEMPTS,
) -> S3Client:
    """An S3 client from the standard AWS chain; explicit keys only for the embedded store."""
    import boto3
    import botocore.session
    from botocore.config import Config

    from mediafeed.store.transfer import CHECKERS, LISTERS, store_errors
    from mediafeed.store.upload import SENDERS, STREAMS

    mode: Literal["when_supported", "when_required"] = (
        "when_required" if target.checksums == "when_required" else "when_supported"
    )
    config = Config(
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
        s3={
            "addressing_style": "path" if target.endpoint_url else "auto",
            "payload_signing_enabled": False,
        },
    )
    access, secret = credentials or (None, None)
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
