"""Records that span lines (quoted newlines) are records: detected, masked and read by main_etl as
one row each, counted as records; only genuinely malformed lines become quarantined rows."""

from __future__ import annotations

import gzip
import json
import os

import pytest

from secure_transform import io as sio
from secure_transform import multiline
from secure_transform.detection import RowMap
from test_safety_rails import _files_text

SSN = "219-09-9999"
CARD = "4556737586899855"
EMAIL = "mary.major@example.com"
PLANTED = (SSN, CARD, EMAIL)
SSN_MASK = "[USA_SOCIAL_SECURITY_NUMBER]"


def _loc(path, name="x"):
    return sio.parse_location(str(path), name)


def _no_planted(*texts: str) -> None:
    for text in texts:
        for value in PLANTED:
            assert value not in text, "a planted value got through"


def _cells(results_root) -> dict[str, set]:
    """object key -> {(type, row, column)} from the discovery results."""
    out: dict[str, set] = {}
    for dirpath, _dirs, names in os.walk(results_root):
        for name in names:
            if name.endswith(".jsonl.gz"):
                for line in gzip.open(os.path.join(dirpath, name), "rt"):
                    record = json.loads(line)
                    key = record["resourcesAffected"]["s3Object"]["key"]
                    for item in record["classificationDetails"]["result"]["sensitiveData"] or []:
                        for d in item["detections"]:
                            for c in d["occurrences"].get("cells") or []:
                                out.setdefault(key, set()).add((d["type"], c["row"], c["column"]))
    return out


def test_row_map_counts_a_record_spanning_lines_as_one_row():
    rows = RowMap([(7, 9), (3, 4)])  # lines 3-4 and 7-9 are one record each
    assert [rows.row_of_line(n) for n in range(1, 12)] == [1, 2, 3, 3, 4, 5, 6, 6, 6, 7, 8]
    assert [rows.line_of_row(r) for r in range(1, 9)] == [1, 2, 3, 5, 6, 7, 10, 11]
    assert rows.rows_in(11) == 8 and bool(rows)
    plain = RowMap()
    assert not plain and plain.row_of_line(5) == plain.line_of_row(5) == 5 and plain.rows_in(5) == 5


def _neighbours(sep: str) -> tuple[bytes, bytes]:
    """(raw, expected masked) bytes: BOM, CRLF, a newline in a middle field, in the last field, a
    CR alone inside quotes, escaped quotes around a newline, PII on the line after a record
    spanning lines, and a last record spanning lines without a final line break."""
    records = [
        f'1{sep}"quoted{sep} newline in a middle\r\nfield {SSN}"{sep}x',
        f'2{sep}plain{sep}"last field\r\n{SSN}"',
        f'3{sep}"cr\ronly {SSN}"{sep}x',
        f'4{sep}"say ""hi\r\n"" to {SSN}"{sep}x',
        f'5{sep}after{sep}{SSN}',
        f'6{sep}"end\r\nof {SSN}"{sep}z',
    ]
    text = "\r\n".join([sep.join(["id", "memo", "ssn"])] + records)  # no final line break
    return b"\xef\xbb\xbf" + text.encode(), text.replace(SSN, SSN_MASK).encode()


@pytest.mark.parametrize("sep, ext", [(",", "csv"), ("\t", "tsv")])
def test_neighbours_are_detected_at_their_record_rows_masked_in_place_and_read_as_records(spark, tmp_path, sep, ext):
    from secure_transform.detection import detect_objects
    from secure_transform.masking import mask_objects

    raw, expected = _neighbours(sep)
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / f"n.{ext}").write_bytes(raw)
    # a single-line object in the same run keeps physical line numbers as rows (a blank line counts)
    (tmp_path / "raw" / f"single.{ext}").write_text(f"id{sep}ssn\n1{sep}{SSN}\n\n2{sep}{SSN}\n")
    detected = detect_objects(spark, _loc(tmp_path / "raw"), _loc(tmp_path / "r"))
    assert detected["records"] == 6 + 2 and detected["objects_skipped"] == {}
    ssn = "USA_SOCIAL_SECURITY_NUMBER"
    assert _cells(tmp_path / "r") == {
        f"n.{ext}": {(ssn, 2, 2), (ssn, 3, 3), (ssn, 4, 2), (ssn, 5, 2), (ssn, 6, 3), (ssn, 7, 2)},
        f"single.{ext}": {(ssn, 2, 2), (ssn, 4, 2)}}
    outcome = mask_objects(spark, _loc(tmp_path / "raw"), _loc(tmp_path / "r"), _loc(tmp_path / "m"),
                           _loc(tmp_path / "q"), run_id="n1")
    s = outcome.summary()
    assert (s["rows_in"], s["rows_out"], s["rows_quarantined"]) == (8, 8, 0)
    assert s["records_spanning_lines"] == 4 and s["lines_with_bare_carriage_return"] == 1
    assert s["objects_read_as_multiline"] == 1
    # every byte but the masked values is kept (Hadoop's line reader drops the BOM)
    assert (tmp_path / "m" / f"n.{ext}").read_bytes() == expected
    assert (tmp_path / "m" / f"single.{ext}").read_text() == f"id{sep}ssn\n1{sep}{SSN_MASK}\n\n2{sep}{SSN_MASK}\n"
    marked = multiline.marked_objects(_loc(tmp_path / "m"), sio.list_objects(_loc(tmp_path / "m")))
    assert [os.path.basename(i.location.key) for i in marked] == [f"n.{ext}"]
    # main_etl's reader options: one row per record, the quoting undone, CRLF in a value read as \n
    df = (spark.read.options(header="true", sep=sep, multiLine="true", **multiline.READ_OPTIONS)
          .csv(str(tmp_path / "m" / f"n.{ext}")))
    assert [tuple(r) for r in df.orderBy("id").collect()] == [
        ("1", f"quoted{sep} newline in a middle\nfield {SSN_MASK}", "x"), ("2", "plain", f"last field\n{SSN_MASK}"),
        ("3", f"cr\ronly {SSN_MASK}", "x"), ("4", f'say "hi\n" to {SSN_MASK}', "x"), ("5", "after", SSN_MASK),
        ("6", f"end\nof {SSN_MASK}", "z")]


def test_a_marker_follows_its_object_and_a_stale_one_is_ignored(spark, tmp_path):
    from secure_transform.detection import detect_objects
    from secure_transform.masking import mask_objects

    raw = tmp_path / "raw"
    raw.mkdir()

    def run(body: str, run_id: str) -> dict:
        (raw / "a.csv").write_text(body)
        detect_objects(spark, _loc(raw), _loc(tmp_path / f"r{run_id}"))
        return mask_objects(spark, _loc(raw), _loc(tmp_path / f"r{run_id}"), _loc(tmp_path / "m"), _loc(tmp_path / "q"),
                            run_id=run_id).summary()

    # a bare CR inside quotes: one line for the detector, two for Spark's line reader -> multiLine
    assert run('id,memo\n1,"cr\ronly"\n2,x\n', "1")["objects_read_as_multiline"] == 1
    marker = tmp_path / "m" / "_multiline_records" / "a.csv.json"
    assert json.loads(marker.read_text())["lines_with_bare_carriage_return"] == 1
    assert len(multiline.marked_objects(_loc(tmp_path / "m"), sio.list_objects(_loc(tmp_path / "m")))) == 1
    # the object changes size behind masking's back: its marker no longer applies
    (tmp_path / "m" / "a.csv").write_text("id,memo\n1,x\n")
    assert multiline.marked_objects(_loc(tmp_path / "m"), sio.list_objects(_loc(tmp_path / "m"))) == []
    # re-delivered without such records: the marker is removed
    assert run("id,memo\n1,plain\n", "2")["objects_read_as_multiline"] == 0
    assert not marker.exists()
    # the marker folder is hidden: it is never listed as an input
    assert [os.path.basename(i.location.key) for i in sio.list_objects(_loc(tmp_path / "m"))] == ["a.csv"]


def test_a_quarantined_object_counts_records_not_lines(spark, tmp_path):
    from secure_transform.masking import mask_objects

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "nores.csv").write_text('id,memo\n1,"two\nlines"\n2,"three\n\nlines"\n3,x\n')
    (tmp_path / "r").mkdir()
    other = tmp_path / "other"
    other.mkdir()
    (other / "o.csv").write_text("id\n1\n")
    from secure_transform.detection import detect_objects

    detect_objects(spark, _loc(other), _loc(tmp_path / "r"))  # results exist, none for nores.csv
    s = mask_objects(spark, _loc(raw), _loc(tmp_path / "r"), _loc(tmp_path / "m"), _loc(tmp_path / "q"),
                     run_id="q1").summary()
    assert s["quarantined"][0]["reason"] == "no_discovery_result" and s["quarantined"][0]["records"] == 3
    assert (s["rows_in"], s["rows_out"], s["rows_quarantined"]) == (3, 0, 3)


ADV_HEADER = ["transaction_id", "customer_id", "email", "card_number", "merchant_category_code", "amount", "currency",
              "transaction_ts", "memo"]


def _adversarial(sep: str) -> tuple[bytes, int, int]:
    """(bytes, records, physical lines): BOM, CRLF, 118 good records of which 4 span lines (a PII
    value inside one, another on the line after it, escaped quotes around a newline, a bare CR),
    and three malformed lines (too many fields, too few, an unbalanced quote)."""
    def line(i: int, memo: str = "ok", email: str | None = None) -> str:
        return sep.join([f"T{i:03d}", f"C{i % 5}", email or f"user{i}@example.com", CARD, "5411", f"{10 + i}.25",
                         "USD", f"2026-01-0{1 + i % 5}T10:00:00Z", memo])

    lines = [sep.join(ADV_HEADER)]
    for i in range(118):
        memo = {10: f'"first line\r\nsecond line {SSN}"', 11: f"after {SSN}", 30: '"a\r\nb\r\nc"',
                40: '"say ""x\r\n"" ok"', 50: '"cr\ronly"'}.get(i, '"quoted, with separator"' if i % 10 == 0 else "ok")
        lines.append(line(i, memo=memo))
        if i == 20:
            lines.append(line(900, email=EMAIL) + sep + "EXTRA")
        if i == 60:
            lines.append(sep.join(["T901", "C1", EMAIL]))
        if i == 70:
            lines.append(line(902, memo=f'"unclosed {SSN}'))
    text = "\r\n".join(lines) + "\r\n"
    return b"\xef\xbb\xbf" + text.encode(), len(lines) - 1, text.count("\r\n")


def test_a_csv_with_bom_crlf_records_spanning_lines_and_malformed_lines_runs_end_to_end(spark, tmp_path, capsys):
    from secure_transform.cli import main

    body, records, physical = _adversarial(",")
    assert (records, physical) == (121, 126)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "day.csv").write_bytes(body)
    out = tmp_path / "run"
    # customer_id is tokenized by main_etl; everything else Macie-style masked before it
    code = main(["run", "--input", str(tmp_path / "mine"), "--pii-columns", "customer_id", "--output", str(out),
                 "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads((out / "run_summary.json").read_text())
    mask = json.loads((out / "summaries" / "macie_masking.json").read_text())
    etl = json.loads((out / "summaries" / "main_etl.json").read_text())
    # records, not lines: 121 in; the three malformed lines are quarantined rows with their line numbers
    assert summary["rows_in"] == mask["rows_in"] == 121
    assert summary["rows_in"] == summary["rows_out"] + summary["rows_quarantined"]
    assert (mask["rows_out"], mask["malformed_records_quarantined"]) == (118, 3)
    assert {m["reason"] for m in mask["malformed_records"]} == {"malformed_record"}
    assert sorted(m["line"] for m in mask["malformed_records"]) == [24, 68, 79]
    assert mask["records_spanning_lines"] == 3 and mask["lines_with_bare_carriage_return"] == 1
    assert etl["rows_in"] == 118 and etl["rows_out"] + etl["rows_quarantined"] == 118
    assert etl["reject_reasons"].get("malformed_record", 0) == 0  # no record was split by main_etl's reader
    assert summary["published"] is True and summary["leak_findings"] == 0
    # nothing planted got past the raw (staged input) and quarantine zones
    for name in os.listdir(out):
        if name not in ("input", "quarantine"):
            path = out / name
            _no_planted(_files_text(path) if path.is_dir() else path.read_text(errors="replace"))
    _no_planted(captured.out, captured.err)
    quarantined = [json.loads(x) for x in _files_text(out / "quarantine" / "records").splitlines() if x.strip()]
    assert len(quarantined) == 3 and all(len(r["raw_record_sha256"]) == 64 for r in quarantined)
    _no_planted(json.dumps(quarantined))


def test_an_object_with_many_records_spanning_lines_is_paired_in_one_plan(spark, tmp_path):
    """1,200 such records: one `when` per span overflowed the JVM stack at 1,000 (measured)."""
    from secure_transform.detection import detect_objects
    from secure_transform.masking import mask_objects

    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "many.csv").write_text("id,memo\n" + "".join(f'{i},"two\nlines"\n' for i in range(1200)))
    assert detect_objects(spark, _loc(tmp_path / "raw"), _loc(tmp_path / "r"))["records"] == 1200
    s = mask_objects(spark, _loc(tmp_path / "raw"), _loc(tmp_path / "r"), _loc(tmp_path / "m"), _loc(tmp_path / "q"),
                     run_id="many").summary()
    assert (s["rows_in"], s["rows_out"], s["records_spanning_lines"]) == (1200, 1200, 1200)
    assert (tmp_path / "m" / "many.csv").read_bytes() == (tmp_path / "raw" / "many.csv").read_bytes()


@pytest.mark.parametrize("options, expected", [({"multiLine": "true"}, True), ({}, None)])
def test_on_glue_the_multiline_read_is_a_dynamic_frame_format_option(spark, options, expected):
    from secure_transform.runtime import JobRuntime

    calls = []

    class Frame:
        def toDF(self):  # noqa: N802 - Glue's name
            return spark.createDataFrame([("1",)], "id string")

    class Reader:
        def from_options(self, **kw):
            calls.append(kw)
            return Frame()

    class Glue:
        create_dynamic_frame = Reader()

    rt = JobRuntime(job_name="main_etl", spark=spark, args={}, is_glue=True, glue_context=Glue())
    rt.read(sio.parse_location("s3://masked-bucket/in", "x"), "csv", ctx="main_etl_source",
            options={"header": "true", "sep": ",", **multiline.READ_OPTIONS, **options})
    [call] = calls
    assert call["format"] == "csv" and call["transformation_ctx"] == "main_etl_source"
    assert call["format_options"].get("multiLine") is expected and call["format_options"]["separator"] == ","
    # the markers are never read as data (Spark skips hidden folders; the Glue lister is told to)
    assert "_multiline_records/**" in json.loads(call["connection_options"]["exclusions"])
