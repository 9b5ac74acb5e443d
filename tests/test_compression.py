"""compression.py: bounded heads and whole-stream checks of gzip/bzip2 inputs, on disk and in S3
(moto). The end-to-end cases (main_etl naming the damaged file) are in test_bad_input.py."""

from __future__ import annotations

import bz2
import gzip
import random

import boto3
import pytest
from moto import mock_aws

from secure_transform import compression
from secure_transform import io as sio
from secure_transform.errors import SchemaError

TEXT = ("id,value\n" + "".join(f"{i},{random.Random(i).getrandbits(160):040x}\n" for i in range(60_000))).encode()
GZ = gzip.compress(TEXT)
BZ = bz2.compress(TEXT)


def _info(tmp_path, name: str, data: bytes) -> sio.ObjectInfo:
    path = tmp_path / name
    path.write_bytes(data)
    return sio.ObjectInfo(sio.Location("file", "", str(path)), len(data))


def _corrupt(data: bytes, at: int) -> bytes:
    return data[:at] + bytes(64) + data[at + 64:]


def test_codecs_by_suffix():
    # case-sensitive, as Hadoop's codec lookup: Spark reads a.CSV.GZ as plain text, so it is refused
    assert [compression.codec_of(k) for k in ("a.csv.gz", "a.CSV.GZ", "a.csv.bz2", "a.csv", "a.snappy.parquet")] == [
        "gzip", None, "bzip2", None, None]
    keys = ("a.csv.zst", "a.json.SNAPPY", "a.snappy.parquet", "a.csv.gz", "a.zip", "a.csv", "a.CSV.GZ", "a.csv.Bz2")
    assert [compression.unsupported_suffix(k) for k in keys] == [".zst", ".SNAPPY", None, None, ".zip", None, ".GZ",
                                                                 ".Bz2"]


@pytest.mark.parametrize("name, data", [
    ("plain.csv", TEXT), ("one.csv.gz", GZ), ("one.csv.bz2", BZ),
    # bzip2 is read block by block: bytes after the last stream (padding, a newline) are ignored
    ("padded.csv.bz2", BZ + bytes(512)), ("newline.csv.bz2", BZ + b"\n"),
    ("members.csv.gz", gzip.compress(TEXT[:1_000]) + gzip.compress(TEXT[1_000:])),
    ("members.csv.bz2", bz2.compress(TEXT[:1_000]) + bz2.compress(TEXT[1_000:])),
])
def test_sound_files_give_their_text_head_and_no_problem(tmp_path, name, data):
    info = _info(tmp_path, name, data)
    assert compression.read_head(info) == TEXT[:65_536]
    assert compression.read_head(info, limit=100) == TEXT[:100]
    assert compression.stream_problem(info) is None


def test_a_bzip2_head_decodes_a_whole_block_beyond_64k_compressed(tmp_path):
    # the first 900 kB block of random hex compresses to far more than 64 KiB: read until it decodes
    assert len(BZ) > 4 * 65_536
    assert compression.read_head(_info(tmp_path, "a.csv.bz2", BZ))[:9] == b"id,value\n"


@pytest.mark.parametrize("name, data, problem", [
    ("t.csv.gz", GZ[:-1_000], "cannot be read as gzip (the stream is truncated)"),
    ("t.csv.bz2", BZ[:-1_000], "cannot be read as bzip2 (the stream is truncated)"),
    # a second member cut short: the first member ended cleanly, the stream did not
    ("t2.csv.gz", gzip.compress(TEXT[:100]) + gzip.compress(TEXT[100:])[:-10],
     "cannot be read as gzip (the stream is truncated)"),
    # gzip is strict, as Hadoop is: what follows a member must be another member (zeros fail the task)
    ("z.csv.gz", GZ + bytes(512), "cannot be read as gzip (corrupt data within the first 1,591,308 compressed bytes)"),
])
def test_damaged_streams_are_named_by_problem(tmp_path, name, data, problem):
    assert compression.stream_problem(_info(tmp_path, name, data)) == problem


@pytest.mark.parametrize("codec, data", [("gzip", GZ), ("bzip2", BZ)])
def test_corrupt_streams_say_how_far_in_without_quoting_data(tmp_path, codec, data):
    at = len(data) * 2 // 3
    problem = compression.stream_problem(_info(tmp_path, "c.csv." + ("gz" if codec == "gzip" else "bz2"),
                                               _corrupt(data, at)))
    prefix = f"cannot be read as {codec} (corrupt data within the first "
    assert problem.startswith(prefix) and problem.endswith(" compressed bytes)")
    # read in 1 MiB chunks: the figure is the end of the chunk in which decoding failed
    assert at < int(problem[len(prefix):].split()[0].replace(",", "")) <= len(data)


@pytest.mark.parametrize("name, data, problem", [
    ("short.csv.gz", GZ[:40], "cannot be read as gzip (the stream is truncated)"),
    ("short.csv.bz2", BZ[:40], "cannot be read as bzip2 (the stream is truncated)"),
    ("not.csv.gz", b"id,value\n1,2\n", "cannot be read as gzip (not valid gzip data)"),
    ("not.csv.bz2", b"id,value\n1,2\n", "cannot be read as bzip2 (not valid bzip2 data)"),
])
def test_a_head_that_is_not_its_codec_or_the_whole_truncated_file_is_refused(tmp_path, name, data, problem):
    info = _info(tmp_path, name, data)
    with pytest.raises(SchemaError) as exc:
        compression.read_head(info)
    assert str(exc.value) == f"{info.location.uri}: {problem}"


def test_a_head_cannot_tell_truncation_it_did_not_read(tmp_path):
    # the damage is past the bounded read: the head is fine, the whole-stream check finds it
    info = _info(tmp_path, "late.csv.gz", GZ[:-1_000])
    assert compression.read_head(info) == TEXT[:65_536]
    assert compression.stream_problem(info) == "cannot be read as gzip (the stream is truncated)"


def test_find_unreadable_lists_only_the_damaged_and_at_most_the_limit(tmp_path):
    files = [_info(tmp_path, "a.csv.gz", GZ), _info(tmp_path, "b.csv.gz", GZ[:-5]), _info(tmp_path, "c.csv", TEXT),
             _info(tmp_path, "d.csv.bz2", BZ[:-5]), _info(tmp_path, "e.csv.gz", GZ[:-9])]
    found = compression.find_unreadable(files)
    assert [uri.rsplit("/", 1)[1] for uri, _ in found] == ["b.csv.gz", "d.csv.bz2", "e.csv.gz"]
    assert len(compression.find_unreadable(files, limit=2)) == 2


class _FakeSparkError(Exception):
    pass


_FakeSparkError.__module__ = "py4j.protocol"


def test_name_unreadable_inputs_raises_the_damaged_file_or_the_original_error(tmp_path):
    good, bad = _info(tmp_path, "a.csv.gz", GZ), _info(tmp_path, "b.csv.gz", GZ[:-5])
    with pytest.raises(SchemaError, match=r"b\.csv\.gz: cannot be read as gzip \(the stream is truncated\)$"):
        with compression.name_unreadable_inputs([good, bad]):
            raise _FakeSparkError("java.io.EOFException: Unexpected end of input stream")
    # all inputs sound: Spark's own error goes on
    with pytest.raises(_FakeSparkError):
        with compression.name_unreadable_inputs([good]):
            raise _FakeSparkError("java.io.EOFException: Unexpected end of input stream")
    # not a Spark error: never diagnosed (the damaged file is not looked at)
    with pytest.raises(KeyError):
        with compression.name_unreadable_inputs([bad]):
            raise KeyError("x")


def test_several_damaged_files_name_the_first_and_count_the_rest(tmp_path):
    files = [_info(tmp_path, f"{n}.csv.gz", GZ[:-5]) for n in "abc"]
    with pytest.raises(SchemaError) as exc:
        with compression.name_unreadable_inputs(files):
            raise _FakeSparkError("java.util.zip.ZipException: invalid block type")
    assert str(exc.value).endswith("a.csv.gz: cannot be read as gzip (the stream is truncated); "
                                   "2 more such file(s) named in the log")


def test_other_spark_failures_and_failed_scans_keep_the_original_error(tmp_path, monkeypatch):
    bad = _info(tmp_path, "b.csv.gz", GZ[:-5])
    scanned = []
    real = compression.find_unreadable
    monkeypatch.setattr(compression, "find_unreadable", lambda *a, **k: scanned.append(1) or real(*a, **k))
    # a failure that is not the codec's (a Python worker crash): no scan, Spark's error goes on
    with pytest.raises(_FakeSparkError, match="PythonException"):
        with compression.name_unreadable_inputs([bad]):
            raise _FakeSparkError("org.apache.spark.api.python.PythonException: worker crashed")
    assert scanned == []
    # the scan cannot read the file (S3 timeout, deleted object): the original error, no file blamed
    monkeypatch.setattr(compression, "_iter_chunks", lambda *a: (_ for _ in ()).throw(ConnectionResetError("x")))
    with pytest.raises(_FakeSparkError, match="Unexpected end"):
        with compression.name_unreadable_inputs([bad]):
            raise _FakeSparkError("Unexpected end of input stream")
    assert scanned == [1]
    with pytest.raises(ConnectionResetError):  # and stream_problem never calls an I/O error corruption
        compression.stream_problem(bad)


def test_the_scan_gives_up_after_its_budget_and_keeps_the_original_error(tmp_path):
    files = [_info(tmp_path, "a.csv.gz", GZ), _info(tmp_path, "b.csv.gz", GZ[:-5])]
    with pytest.raises(TimeoutError):
        compression.find_unreadable(files, budget_s=-1.0)
    with pytest.raises(_FakeSparkError):
        with compression.name_unreadable_inputs(files, budget_s=-1.0):
            raise _FakeSparkError("Unexpected end of input stream")


@mock_aws
def test_s3_objects_are_read_by_range_and_streamed():
    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket="zone-m", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="zone-m", Key="in/a.csv.bz2", Body=BZ)
    s3.put_object(Bucket="zone-m", Key="in/b.csv.gz", Body=GZ[:-100])
    infos = {i.location.key.rsplit("/", 1)[1]: i for i in sio.list_objects(sio.parse_location("s3://zone-m/in", "--x"))}
    session = boto3.session.Session(region_name="eu-west-1")
    assert compression.read_head(infos["a.csv.bz2"], session) == TEXT[:65_536]
    assert compression.read_head(infos["b.csv.gz"], session) == TEXT[:65_536]
    assert compression.stream_problem(infos["a.csv.bz2"], session) is None
    assert compression.stream_problem(infos["b.csv.gz"], session) == "cannot be read as gzip (the stream is truncated)"
