from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from secure_transform import io as sio
from secure_transform import publish
from secure_transform.errors import ConfigError


def test_parse_location_forms(tmp_path):
    assert sio.parse_location("s3://bucket-a/some/prefix/", "--x").uri == "s3://bucket-a/some/prefix"
    assert sio.parse_location("bucket-a", "--x", bare_name_is_bucket=True).uri == "s3://bucket-a"
    assert sio.parse_location(f"file://{tmp_path}", "--x").uri == str(tmp_path)
    assert sio.parse_location("s3://b-1/k", "--x").child("a", "b.json").key == "k/a/b.json"
    with pytest.raises(ConfigError, match="--source_bucket: is not a valid S3 bucket name"):
        sio.parse_location("s3://Bad_Bucket/x", "--source_bucket")
    with pytest.raises(ConfigError, match="--target_bucket: is empty"):
        sio.parse_location("  ", "--target_bucket")


def test_local_json_roundtrip_gz_and_listing(tmp_path):
    loc = sio.parse_location(str(tmp_path / "a" / "b.json.gz"), "--x")
    sio.write_json(loc, {"k": [1, 2]})
    assert sio.read_json(loc) == {"k": [1, 2]}
    (tmp_path / "a" / "_SUCCESS").write_text("")
    (tmp_path / "a" / ".hidden").write_text("x")
    names = [o.location.key.rsplit("/", 1)[-1] for o in sio.list_objects(sio.parse_location(str(tmp_path), "--x"))]
    assert names == ["b.json.gz"]


@mock_aws
def test_s3_roundtrip_listing_and_publish_protocol():
    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket="zone-t", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.create_bucket(Bucket="zone-q", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    target = sio.parse_location("s3://zone-t/transformed", "--x")
    data = publish.data_location(target, "r1").child("part-0.parquet")
    sio.write_bytes(data, b"PAR1")
    sio.write_json(publish.data_location(target, "r2").child("x.json"), {"a": 1})
    assert publish.pending_runs(target) == []  # nothing finished writing yet
    publish.mark_success(target, "r1")
    publish.mark_success(target, "r2")
    assert publish.pending_runs(target) == ["r1", "r2"]
    publish.publish_run(target, "r1")
    assert publish.pending_runs(target) == ["r2"] and publish.published_runs(target) == ["r1"]
    assert sio.read_json(target.child("_latest.json"))["run_id"] == "r1"
    dst = publish.quarantine_run(target, "r2", sio.parse_location("s3://zone-q", "--q"), {"reason": "leak"})
    assert publish.pending_runs(target) == []
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="zone-q")["Contents"])
    assert keys == ["transformed/run_id=r2/_SUCCESS", "transformed/run_id=r2/_reason.json",
                    "transformed/run_id=r2/data/x.json"]
    assert sio.read_json(dst.child("_reason.json"))["reason"] == "leak"
    listed = [o.location.key for o in sio.list_objects(target)]
    assert "transformed/runs/run_id=r1/data/part-0.parquet" in listed
    assert all(not k.rsplit("/", 1)[-1].startswith("_") for k in listed)


def test_local_publish_and_quarantine(tmp_path):
    target = sio.parse_location(str(tmp_path / "t"), "--t")
    sio.write_text(publish.data_location(target, "a").child("f.txt"), "x")
    publish.mark_success(target, "a")
    assert publish.pending_runs(target) == ["a"]
    publish.quarantine_run(target, "a", sio.parse_location(str(tmp_path / "q"), "--q"), {"reason": "r"})
    assert not (tmp_path / "t" / "runs" / "run_id=a").exists()
    assert (tmp_path / "q" / "transformed" / "run_id=a" / "data" / "f.txt").read_text() == "x"
