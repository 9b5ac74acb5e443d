"""Atomic publication of transformed runs.

Layout of the transformed zone::

    <target>/runs/run_id=<id>/data/...          Parquet written by main_etl
    <target>/runs/run_id=<id>/_manifest.json    lineage: inputs, counts, config hash, artifacts
    <target>/runs/run_id=<id>/_SUCCESS          main_etl finished writing (written last)
    <target>/runs/run_id=<id>/_PUBLISHED        leak_check passed (readers use only these runs)
    <target>/_latest.json                       {"run_id": ...} of the newest published run

Readers (and the catalog) never look at a run without ``_PUBLISHED``, so a run that died in the
middle of its write, or that leaked, is invisible. A run that failed the leak check is moved
under ``<quarantine>/transformed/run_id=<id>/`` with ``_reason.json``.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from typing import Any, Mapping

from . import io as sio

RUNS = "runs"
SUCCESS = "_SUCCESS"
PUBLISHED = "_PUBLISHED"
MANIFEST = "_manifest.json"
LATEST = "_latest.json"


def run_location(target: sio.Location, run_id: str) -> sio.Location:
    return target.child(RUNS, f"run_id={run_id}")


def data_location(target: sio.Location, run_id: str) -> sio.Location:
    return run_location(target, run_id).child("data")


def _run_ids(target: sio.Location, session: Any = None) -> list[str]:
    runs = target.child(RUNS)
    if runs.is_s3:
        client = sio._s3_client(session)
        paginator = client.get_paginator("list_objects_v2")
        ids = set()
        for page in paginator.paginate(Bucket=runs.bucket, Prefix=runs.key.rstrip("/") + "/", Delimiter="/"):
            for cp in page.get("CommonPrefixes", []):
                part = cp["Prefix"].rstrip("/").rsplit("/", 1)[-1]
                if part.startswith("run_id="):
                    ids.add(part[len("run_id="):])
        return sorted(ids)
    if not os.path.isdir(runs.key):
        return []
    return sorted(d[len("run_id="):] for d in os.listdir(runs.key) if d.startswith("run_id="))


def _marker_exists(loc: sio.Location, session: Any = None) -> bool:
    if loc.is_s3:
        client = sio._s3_client(session)
        resp = client.list_objects_v2(Bucket=loc.bucket, Prefix=loc.key, MaxKeys=1)
        return any(o["Key"] == loc.key for o in resp.get("Contents", []))
    return os.path.exists(loc.key)


def pending_runs(target: sio.Location, session: Any = None) -> list[str]:
    """Runs that finished writing (``_SUCCESS``) but were neither published nor quarantined."""
    out = []
    for run_id in _run_ids(target, session):
        run = run_location(target, run_id)
        if _marker_exists(run.child(SUCCESS), session) and not _marker_exists(run.child(PUBLISHED), session):
            out.append(run_id)
    return out


def published_runs(target: sio.Location, session: Any = None) -> list[str]:
    return [r for r in _run_ids(target, session) if _marker_exists(run_location(target, r).child(PUBLISHED), session)]


def mark_success(target: sio.Location, run_id: str, session: Any = None) -> None:
    sio.write_text(run_location(target, run_id).child(SUCCESS), "", session)


def publish_run(target: sio.Location, run_id: str, session: Any = None) -> None:
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    sio.write_json(run_location(target, run_id).child(PUBLISHED), {"run_id": run_id, "published_at": now}, session)
    sio.write_json(target.child(LATEST), {"run_id": run_id, "published_at": now,
                                          "data": data_location(target, run_id).uri}, session)


def quarantine_run(target: sio.Location, run_id: str, quarantine: sio.Location, reason: Mapping[str, Any],
                   session: Any = None) -> sio.Location:
    """Move a whole run out of the transformed zone; returns its quarantine location."""
    src = run_location(target, run_id)
    dst = quarantine.child("transformed", f"run_id={run_id}")
    if src.is_s3:
        client = sio._s3_client(session)
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=src.bucket, Prefix=src.key.rstrip("/") + "/"):
            for obj in page.get("Contents", []):
                rel = obj["Key"][len(src.key.rstrip("/")) + 1:]
                dest = dst.child(rel)
                client.copy_object(Bucket=dest.bucket, Key=dest.key,
                                   CopySource={"Bucket": src.bucket, "Key": obj["Key"]})
                client.delete_object(Bucket=src.bucket, Key=obj["Key"])
    else:
        os.makedirs(os.path.dirname(dst.key), exist_ok=True)
        if os.path.exists(dst.key):
            shutil.rmtree(dst.key)
        shutil.move(src.key, dst.key)
    body = dict(reason)
    body.setdefault("quarantined_at", datetime.now(timezone.utc).isoformat(timespec="seconds"))
    body.setdefault("run_id", run_id)
    sio.write_json(dst.child("_reason.json"), body, session)
    return dst
