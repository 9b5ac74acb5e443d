"""`secure-transform run --input`: a user's own extract, checked before Spark starts, staged as the raw zone."""

from __future__ import annotations

import bz2
import glob
import gzip
import json
import os

import pytest

from secure_transform.cli import main
from secure_transform.errors import ConfigError, SchemaError
from secure_transform.intake import inspect_input, parse_column_map, select_pii_columns, stage_input

HEADER = "transaction_id,customer_id,amount,currency,transaction_ts,merchant_category_code,email"
MINE = "txn,cust,amount,ccy,ts,mcc,email"
ROW = "T1,C1,12.50,USD,2026-11-01T10:00:00Z,5411,x@example.com"
MAP = "txn=transaction_id,cust=customer_id,ccy=currency,ts=transaction_ts,mcc=merchant_category_code"


def _csv(path, header=MINE, rows=(ROW,), opener=open):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with opener(path, "wt") as fh:
        fh.write(header + "\n" + "".join(r + "\n" for r in rows))
    return str(path)


def test_column_map_forms_and_mistakes(tmp_path):
    assert parse_column_map("a=b, c = d") == {"a": "b", "c": "d"}
    assert parse_column_map('{"a": "b"}') == {"a": "b"}
    (tmp_path / "m.json").write_text('{"x": "transaction_id"}')
    assert parse_column_map(f"@{tmp_path / 'm.json'}") == {"x": "transaction_id"}
    assert parse_column_map(None) == {}
    for bad, message in (("a", "expected YOUR_COLUMN=PIPELINE_COLUMN"), ("a=b,a=c", "'a' is mapped twice"),
                         ("a=c,b=c", "several columns are mapped onto 'c'"), ("=b", "empty column name"),
                         ('{"a": 1}', "must map input column names")):
        with pytest.raises(ConfigError, match=f"^--column-map: .*{message}"):
            parse_column_map(bad)


def test_inspect_checks_mapping_and_required_columns_before_anything_runs(tmp_path):
    mine = _csv(tmp_path / "mine.csv")
    own = inspect_input(mine, parse_column_map(MAP))
    assert own.input_format == "csv" and own.columns == tuple(MINE.split(","))
    assert own.mapped_columns == tuple(HEADER.split(","))
    with pytest.raises(SchemaError, match=r"mine\.csv, column 'transaction_id': required column is missing; "
                                          r".*--column-map YOUR_COLUMN=transaction_id"):
        inspect_input(mine)
    with pytest.raises(ConfigError, match=r"^--column-map: 'tx' is not a column of .*mine\.csv; its columns are: "
                                          r"txn, cust, amount"):
        inspect_input(mine, parse_column_map(MAP.replace("txn=", "tx=")))
    with pytest.raises(ConfigError, match="'cust' is mapped onto 'email', which .* already has"):
        inspect_input(mine, {"cust": "email"})
    with pytest.raises(ConfigError, match="^--input: .*nope.csv does not exist$"):
        inspect_input(str(tmp_path / "nope.csv"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="holds no data files"):
        inspect_input(str(tmp_path / "empty"))


def test_a_headerless_csv_is_refused_without_echoing_its_first_line(tmp_path):
    src = _csv(tmp_path / "nohead.csv", header=ROW)
    with pytest.raises(SchemaError) as err:
        inspect_input(src, parse_column_map(MAP))
    assert "the first line is not a header of column names" in str(err.value)
    assert "x@example.com" not in str(err.value) and "12.50" not in str(err.value)


def test_inspect_refuses_folders_whose_csv_headers_differ(tmp_path):
    _csv(tmp_path / "in" / "a.csv")
    _csv(tmp_path / "in" / "b.csv", header=MINE.replace("email", "mail"))
    with pytest.raises(SchemaError, match=r"b\.csv: its header differs from a\.csv's"):
        inspect_input(str(tmp_path / "in"), parse_column_map(MAP))


def test_pii_columns_are_checked_against_the_mapped_columns(tmp_path):
    own = inspect_input(_csv(tmp_path / "mine.csv"), parse_column_map(MAP))
    assert select_pii_columns(own, None) == {"customer_id": {"method": "deterministic"},
                                             "email": {"method": "hash", "algorithm": "sha256"}}
    assert select_pii_columns(own, "customer_id,email")["email"]["method"] == "hash"
    assert select_pii_columns(own, '{"email": {"method": "drop"}}') == {"email": {"method": "drop"}}
    with pytest.raises(ConfigError, match=r"^--pii-columns: 'cust' is not a column of the input; columns after "
                                          r"--column-map: transaction_id, customer_id"):
        select_pii_columns(own, "cust")
    with pytest.raises(ConfigError, match=r"'phone' is not a column of the input"):
        select_pii_columns(own, '{"phone": {"method": "hash"}}')
    with pytest.raises(ConfigError, match="--pii_columns"):
        select_pii_columns(own, '{"email": {"method": "nonsense"}}')


@pytest.mark.parametrize("suffix,opener", [(".csv", open), (".csv.gz", gzip.open), (".csv.bz2", bz2.open)])
def test_staging_renames_only_the_csv_header(tmp_path, suffix, opener):
    rows = [ROW, 'T2,C2,3.00,EUR,2026-11-01T11:00:00Z,5812,"a, ""quoted"" memo"']
    src = _csv(tmp_path / "in" / f"part{suffix}", rows=rows, opener=opener)
    own = inspect_input(src, parse_column_map(MAP))
    info = stage_input(own, str(tmp_path / "raw"))
    assert info["files"] == 1 and info["input_format"] == "csv" and info["column_map"]["txn"] == "transaction_id"
    with opener(tmp_path / "raw" / f"part{suffix}", "rt") as fh:
        staged = fh.read().splitlines()
    assert staged[0] == HEADER and staged[1:] == rows  # data bytes unchanged


def test_staging_renames_jsonl_keys_and_parquet_columns(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"txn": "T1", "cust": "C1", "amount": "1", "ccy": "USD", "ts": "2026-11-01T00:00:00Z",
                               "mcc": "5411"}) + "\n{not json\n")
    own = inspect_input(str(src), parse_column_map(MAP))
    stage_input(own, str(tmp_path / "raw"))
    lines = (tmp_path / "raw" / "in.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["transaction_id"] == "T1" and "txn" not in json.loads(lines[0])
    assert lines[1] == "{not json"  # kept for main_etl to quarantine as malformed
    table = pa.table({c: ["v"] for c in MINE.split(",")})
    pq.write_table(table, tmp_path / "in.parquet")
    own = inspect_input(str(tmp_path / "in.parquet"), parse_column_map(MAP))
    stage_input(own, str(tmp_path / "rawp"))
    assert pq.read_schema(tmp_path / "rawp" / "in.parquet").names == HEADER.split(",")
    assert pq.read_table(tmp_path / "rawp" / "in.parquet").num_rows == 1


def test_run_flags_that_need_input_fail_fast(capsys, tmp_path):
    assert main(["run", "--output", str(tmp_path / "o"), "--column-map", "a=b"]) == 2
    assert capsys.readouterr().err.strip() == "error: --column-map: applies to your own data only; give --input PATH too"
    mine = _csv(tmp_path / "mine.csv")
    assert main(["run", "--input", mine, "--rows", "2000", "--output", str(tmp_path / "o")]) == 2
    assert "--rows: sets the size of generated sample data" in capsys.readouterr().err
    assert main(["run", "--input", mine, "--output", str(tmp_path / "o")]) == 2
    assert "required column is missing" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()  # nothing written before the checks pass


def test_run_on_your_own_csv_with_a_column_map(spark, tmp_path, capsys):
    from secure_transform.generator import GeneratorConfig, write_sample_data

    write_sample_data(spark, GeneratorConfig(rows=1000, seed=7), str(tmp_path / "gen"), "csv")
    [part] = glob.glob(str(tmp_path / "gen" / "transactions" / "*.csv"))
    with open(part, encoding="utf-8") as fh:
        header, body = fh.read().split("\n", 1)
    renamed = header.replace("transaction_id", "txn").replace("customer_id", "cust")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "extract.csv").write_text(renamed + "\n" + body, encoding="utf-8")
    out = tmp_path / "run"
    code = main(["run", "--input", str(tmp_path / "mine"), "--column-map", "txn=transaction_id,cust=customer_id",
                 "--pii-columns", "customer_id,email,card_number", "--output", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    brief = json.loads(captured.out)  # --json: one JSON document on stdout, nothing else
    summary = json.loads((out / "run_summary.json").read_text())
    assert brief["rows_in"] == summary["rows_in"] == 1000
    assert summary["rows_in"] == summary["rows_out"] + summary["rows_quarantined"]
    assert summary["published"] is True and summary["leak_findings"] == 0
    assert summary["input_format"] == "csv" and summary["column_map"] == {"txn": "transaction_id", "cust": "customer_id"}
    assert summary["pii_columns_protected"] == ["customer_id", "email", "card_number"]
    assert summary.get("anomaly_evaluation") is None  # no labels for your own data, none invented
    assert os.path.isfile(summary["report"])
    # the progress lines and the summary agree on each job's time
    for stage in summary["stages"]:
        assert f"{stage['name']:<14}  done in {stage['seconds']:.1f}s" in captured.err
