"""Whether the store still holds what the last publish left there, asked without boto3:
the whole of a cron run that finds nothing to do.

One listing of the prefix shows every object's size, the record's ETag and any claims a
stopped run left; the record is read again only when its ETag differs from the one kept.
Requests are signed by botocore's SigV4 signer with credentials from its standard chain
and sent by its urllib3 session: a boto3 client would cost its import and its service
model (see benchmarks/README.md).
"""

from __future__ import annotations

import json
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mediafeed.errors import StoreError
from mediafeed.links import FEED_KEY
from mediafeed.store.listing import Page, list_prefix
from mediafeed.store.record import CLAIMS_KEY, RECORD_KEY, PublishReport, Step, record_from_json
from mediafeed.store.target import Target

if TYPE_CHECKING:
    from botocore.credentials import Credentials

# Listings of key ranges at once, for a show of many pages. More than store.transfer's:
# a store walks its folders for each range, and waits there that more ranges hide (see
# benchmarks/README.md).
LISTERS = 16
RANGE_KEYS = 2500
TIMEOUT = (10.0, 60.0)  # connect, read


def still_there(
    target: Target, credentials: tuple[str, str] | None, kept: Mapping[str, Any] | None
) -> tuple[PublishReport, dict[str, Any]] | None:
    """The report of a publish with nothing to send and what to keep of the record for
    next time, if the store holds every object the record names at its size and no
    claims; else None, and a publish that lists and repairs follows."""
    try:
        store = _Signed(target, credentials)
        record = _kept(kept) or store.record()
        sizes, etags = store.listing(sorted(record["objects"]))
        if CLAIMS_KEY in sizes or RECORD_KEY not in etags:
            return None
        if etags[RECORD_KEY] != record["etag"]:
            record = store.record()  # another run published here since: its record counts
        held: dict[str, list[Any]] = record["objects"]
        if FEED_KEY not in held or any(sizes.get(n) != h[0] for n, h in held.items()):
            return None
    except (_Unanswered, StoreError, OSError, ValueError, ET.ParseError):
        return None
    names = tuple(sorted(held))

    def steps() -> tuple[Step, ...]:
        return tuple(Step(name, "unchanged", *held[name]) for name in names)

    report = PublishReport((), names, (), 0, f"{target.base_url()}/{FEED_KEY}", make_steps=steps)
    return report, record


def _kept(kept: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The record as kept locally: its ETag, and each object's size and sha256."""
    if kept is None or not isinstance(kept.get("etag"), str):
        return None
    try:
        objects = {str(n): [int(h[0]), h[1] and str(h[1])] for n, h in kept["objects"].items()}
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return None
    return {"etag": kept["etag"], "objects": objects}


class _Unanswered(Exception):
    """The store did not answer as asked: the caller takes the long way."""


class _Signed:
    """GET requests to one bucket, signed with SigV4."""

    def __init__(self, target: Target, credentials: tuple[str, str] | None) -> None:
        import botocore.auth
        import botocore.awsrequest
        import botocore.exceptions
        import botocore.httpsession
        import botocore.utils

        self._errors = botocore.exceptions.BotoCoreError
        try:
            found, region = self._credentials(target, credentials)
        except botocore.exceptions.BotoCoreError as exc:
            raise _Unanswered(str(exc)) from None
        if found is None or region is None:
            raise _Unanswered("no credentials or no region")
        if target.endpoint_url:
            self.base = f"{target.endpoint_url.rstrip('/')}/{target.bucket}"
        elif "." not in target.bucket:
            self.base = f"https://{target.bucket}.s3.{region}.amazonaws.com"
        else:
            raise _Unanswered("a dotted bucket name on AWS")
        self.prefix = target.folder
        self._signer = botocore.auth.S3SigV4Auth(found, "s3", region)
        self._request = botocore.awsrequest.AWSRequest
        self._http = botocore.httpsession.URLLib3Session(
            proxies=botocore.utils.get_environ_proxies(self.base),
            timeout=TIMEOUT,  # type: ignore[arg-type]  # a (connect, read) pair, as botocore's own
            max_pool_connections=LISTERS,
        )

    @staticmethod
    def _credentials(
        target: Target, credentials: tuple[str, str] | None
    ) -> tuple[Credentials | None, str | None]:
        import botocore.credentials

        region = target.region or ("us-east-1" if target.endpoint_url else None)
        if credentials:
            return botocore.credentials.Credentials(*credentials), region
        if target.profile is None and region is not None:
            # Without a profile named in the config the chain asks the environment first,
            # and its answer stands: botocore's session (and its modules) is then not needed.
            found = botocore.credentials.EnvProvider().load()
            if found is not None:
                return found, region
        import botocore.session

        session = botocore.session.Session(profile=target.profile)
        return session.get_credentials(), region or session.get_config_variable("region")

    def get(self, path: str, query: dict[str, str] | None = None) -> tuple[bytes, str]:
        """The body and ETag of a GET of `path` under the bucket."""
        url = f"{self.base}/{urllib.parse.quote(path, safe='/-_.~')}"
        if query:
            url += "?" + urllib.parse.urlencode(sorted(query.items()), quote_via=urllib.parse.quote)
        request = self._request("GET", url)
        try:
            self._signer.add_auth(request)
            answer = self._http.send(request.prepare())
        except self._errors as exc:
            raise _Unanswered(str(exc)) from None
        if answer.status_code != 200:
            raise _Unanswered(f"HTTP {answer.status_code}")
        return answer.content, str(answer.headers.get("ETag", ""))

    def record(self) -> dict[str, Any]:
        body, etag = self.get(self.prefix + RECORD_KEY)
        record = record_from_json(json.loads(body))
        objects = {n: [h.get("size"), h.get("sha256")] for n, h in record.objects.items()}
        found = _kept({"etag": etag, "objects": objects}) if etag else None
        if not objects or record.pending or found is None:
            raise _Unanswered("no record, one with names pending, or one without sizes")
        return found

    def listing(self, names: list[str]) -> tuple[dict[str, int], dict[str, str]]:
        """Every object's size under the prefix, by name, and the ETags of the record and the
        claims; `names` (the record's) cut it into key ranges listed at once."""
        listed = list_prefix(self._page, self.prefix, names, listers=LISTERS, range_keys=RANGE_KEYS)
        etags = {n: listed[n][1] for n in (RECORD_KEY, CLAIMS_KEY) if n in listed}
        return {name: size for name, (size, _) in listed.items()}, etags

    def _page(self, after: str | None, token: str | None, limit: int) -> Page:
        query = {"list-type": "2", "prefix": self.prefix, "max-keys": str(limit)}
        if after is not None:
            query["start-after"] = after
        if token is not None:
            query["continuation-token"] = token
        root = ET.fromstring(self.get("", query)[0])
        ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
        key, size, etag = f"{ns}Key", f"{ns}Size", f"{ns}ETag"
        objects = [
            (item.findtext(key) or "", int(item.findtext(size) or -1), item.findtext(etag) or "")
            for item in root.iter(f"{ns}Contents")
        ]
        truncated = root.findtext(f"{ns}IsTruncated") == "true"
        return Page(
            objects, root.findtext(f"{ns}NextContinuationToken") or "" if truncated else None
        )
