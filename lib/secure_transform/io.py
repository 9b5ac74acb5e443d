"""Locations and small artifacts (JSON, text, bytes) on a local path or in S3.

Job parameters such as ``--source_bucket`` accept an S3 bucket name, an ``s3://`` URI or,
locally, any path or ``file://`` URI. This module turns them into one canonical form:
``s3://bucket/prefix`` for S3 and an absolute local path otherwise, and reads and writes the
small files the jobs keep beside their data (bin edges, models, manifests, summaries).

Spark reads ``s3://`` natively on Glue (EMRFS); locally the same URIs would need hadoop-aws, so
local runs use paths. Small artifacts go through boto3 for S3, which reaches S3 through the VPC
gateway endpoint on AWS; every boto3 client here takes an injectable session for tests (moto).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from .errors import ConfigError

# The one S3 bucket-name rule of the project: AWS's rules for general purpose buckets. Every
# bucket-name validation in terraform/modules uses these same three expressions (plus the length
# 3-63), and tests/terraform/test_bucket_name_rule.py runs one accept/reject table against both.
# Dot-separated parts start and end with a letter or digit (no "..", ".-" or "-."), as DNS
# requires; the modules that create buckets additionally refuse dots (virtual-hosted HTTPS).
_BUCKET_NAME_LENGTH = (3, 63)
_BUCKET_LABELS = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
_BUCKET_IP_FORMAT = re.compile(r"^[0-9]+(\.[0-9]+){3}$")
_BUCKET_RESERVED = re.compile(r"^(xn--|sthree-|amzn-s3-demo-)|(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$")


def bucket_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid S3 bucket name, or None when it is (the message never repeats it)."""
    low, high = _BUCKET_NAME_LENGTH
    if not low <= len(name) <= high:
        return f"it must be {low}-{high} characters long"
    if not _BUCKET_LABELS.fullmatch(name):
        return ("only lowercase letters, digits, '.' and '-' are allowed, and each dot-separated part "
                "must start and end with a letter or digit")
    if _BUCKET_IP_FORMAT.fullmatch(name):
        return "it must not be formatted as an IP address"
    if _BUCKET_RESERVED.search(name):
        return ("it uses a prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, "
                "--x-s3, --table-s3) that S3 reserves")
    return None


@dataclass(frozen=True)
class Location:
    """A canonical location: ``scheme`` is ``s3`` or ``file``."""

    scheme: str
    bucket: str  # empty for file
    key: str  # S3 key prefix (no leading slash) or absolute local path

    @property
    def uri(self) -> str:
        if self.scheme == "s3":
            return f"s3://{self.bucket}/{self.key}" if self.key else f"s3://{self.bucket}"
        return self.key

    @property
    def is_s3(self) -> bool:
        return self.scheme == "s3"

    def child(self, *parts: str) -> "Location":
        clean = [p.strip("/") for p in parts if p and p.strip("/")]
        if self.is_s3:
            key = "/".join([self.key.rstrip("/")] + clean) if self.key else "/".join(clean)
            return Location("s3", self.bucket, key.lstrip("/"))
        return Location("file", "", str(Path(self.key, *clean)))

    def spark_path(self) -> str:
        """The path to hand to Spark readers and writers."""
        return self.uri

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.uri


def parse_location(value: str, parameter: str, *, bare_name_is_bucket: bool = False) -> Location:
    """Parse a job parameter naming a location.

    ``bare_name_is_bucket`` is set on AWS, where ``--source_bucket my-bucket`` means
    ``s3://my-bucket``; locally a bare name is a relative path.
    """
    if value is None or not str(value).strip():
        raise ConfigError(parameter, "is empty; give an S3 bucket, s3:// URI or local path")
    text = str(value).strip()
    if text.startswith("s3://") or text.startswith("s3a://"):
        rest = text.split("://", 1)[1]
        bucket, _, key = rest.partition("/")
        _require_bucket_name(bucket, parameter)
        return Location("s3", bucket, key.strip("/"))
    if text.startswith("file://"):
        text = text[len("file://"):]
    elif bare_name_is_bucket and "/" not in text:
        # On AWS a bare name is a bucket: a bad one fails here rather than becoming a local path.
        _require_bucket_name(text, parameter)
        return Location("s3", text, "")
    return Location("file", "", os.path.abspath(text))


def _require_bucket_name(name: str, parameter: str) -> None:
    problem = bucket_name_problem(name)
    if problem is not None:
        raise ConfigError(parameter, f"is not a valid S3 bucket name: {problem}")


def _s3_client(session: Any = None) -> Any:
    import boto3

    return (session or boto3.session.Session()).client("s3")


def exists(loc: Location, session: Any = None) -> bool:
    if loc.is_s3:
        client = _s3_client(session)
        resp = client.list_objects_v2(Bucket=loc.bucket, Prefix=loc.key, MaxKeys=1)
        return resp.get("KeyCount", 0) > 0
    return os.path.exists(loc.key)


def require_existing(loc: Location, parameter: str, session: Any = None) -> None:
    """Raise ``ConfigError`` naming ``parameter`` and the path when nothing exists at ``loc``.

    Locally the path must exist; on S3 the bucket must exist (an existing but empty prefix is
    left to the caller, which knows whether empty is an error).
    """
    from .errors import ConfigError

    if not loc.is_s3:
        if not os.path.exists(loc.key):
            raise ConfigError(parameter, f"{loc.key} does not exist")
        return
    from botocore.exceptions import ClientError

    try:
        _s3_client(session).head_bucket(Bucket=loc.bucket)
    except ClientError as exc:
        code = str((getattr(exc, "response", None) or {}).get("Error", {}).get("Code", type(exc).__name__))
        raise ConfigError(parameter, f"bucket {loc.bucket} cannot be read ({code})") from None


def read_bytes(loc: Location, session: Any = None) -> bytes:
    if loc.is_s3:
        return _s3_client(session).get_object(Bucket=loc.bucket, Key=loc.key)["Body"].read()
    with open(loc.key, "rb") as fh:
        return fh.read()


def write_bytes(loc: Location, data: bytes, session: Any = None, *, kms_key_id: str | None = None) -> None:
    """Write a whole object. Locally the write is atomic (temp file + rename)."""
    if loc.is_s3:
        extra: dict[str, Any] = {}
        if kms_key_id:
            extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}
        _s3_client(session).put_object(Bucket=loc.bucket, Key=loc.key, Body=data, **extra)
        return
    path = Path(loc.key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_text(loc: Location, session: Any = None) -> str:
    data = read_bytes(loc, session)
    if loc.key.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8")


def write_text(loc: Location, text: str, session: Any = None, **kw: Any) -> None:
    data = text.encode("utf-8")
    if loc.key.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    write_bytes(loc, data, session, **kw)


def read_json(loc: Location, session: Any = None) -> Any:
    return json.loads(read_text(loc, session))


def write_json(loc: Location, obj: Any, session: Any = None, **kw: Any) -> None:
    write_text(loc, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", session, **kw)


@dataclass(frozen=True)
class ObjectInfo:
    location: Location
    size: int
    etag: str | None = None
    version_id: str | None = None


def list_objects(loc: Location, session: Any = None) -> Iterator[ObjectInfo]:
    """Every object below ``loc`` (recursively), skipping hidden/marker files (``_``/``.``)."""
    if loc.is_s3:
        client = _s3_client(session)
        paginator = client.get_paginator("list_objects_v2")
        prefix = loc.key.rstrip("/") + "/" if loc.key else ""
        for page in paginator.paginate(Bucket=loc.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                name = key.rsplit("/", 1)[-1]
                if not name or name.startswith(("_", ".")) or key.endswith("/"):
                    continue
                yield ObjectInfo(Location("s3", loc.bucket, key), int(obj["Size"]), obj.get("ETag", "").strip('"'))
        return
    root = Path(loc.key)
    if root.is_file():
        yield ObjectInfo(loc, root.stat().st_size)
        return
    if not root.exists():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(("_", ".")))
        for name in sorted(filenames):
            if name.startswith(("_", ".")) or name.endswith(".crc"):
                continue
            full = os.path.join(dirpath, name)
            yield ObjectInfo(Location("file", "", full), os.path.getsize(full))
