"""The floor of an unchanged publish in Python: list a prefix once, signed by botocore.

Usage: python benchmarks/listfloor.py ENDPOINT BUCKET PREFIX

Signs ListObjectsV2 requests with botocore's SigV4 signer and the environment's keys,
sends them with botocore's urllib3 session, pages through the whole prefix and parses
each answer, and prints how many objects it found. It is the least a Python tool on
botocore does to confirm a store still holds a tree: an unchanged `mediafeed publish`
does this and also reads the show's files, its cache and the store's record.
"""

from __future__ import annotations

import sys
import urllib.parse
import xml.etree.ElementTree as ET

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.httpsession


def main(endpoint: str, bucket: str, prefix: str) -> None:
    credentials = botocore.credentials.EnvProvider().load()
    signer = botocore.auth.S3SigV4Auth(credentials, "s3", "us-east-1")
    http = botocore.httpsession.URLLib3Session()
    query = {"list-type": "2", "prefix": prefix}
    count = 0
    while True:
        url = f"{endpoint}/{bucket}?" + urllib.parse.urlencode(sorted(query.items()))
        request = botocore.awsrequest.AWSRequest("GET", url)
        signer.add_auth(request)
        answer = http.send(request.prepare())
        if answer.status_code != 200:
            raise SystemExit(f"HTTP {answer.status_code}: {answer.content[:200]!r}")
        root = ET.fromstring(answer.content)
        ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
        for item in root.iter(f"{ns}Contents"):
            count += int(item.findtext(f"{ns}Size") or 0) >= 0
        if root.findtext(f"{ns}IsTruncated") != "true":
            break
        query["continuation-token"] = root.findtext(f"{ns}NextContinuationToken") or ""
    print(f"{count} objects under {bucket}/{prefix}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
