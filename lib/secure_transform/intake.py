"""A user's own extract as the raw zone of a local run: ``secure-transform run --input PATH``.

The run needs the columns main_etl validates (``transaction_id``, ``customer_id``, ``amount``,
``currency``, ``transaction_ts``, ``merchant_category_code``). An extract that names them
differently gives a column mapping (``--column-map txn_id=transaction_id,...``); everything is
checked from the files' headers or schemas before Spark starts, and a mapping or a
``--pii-columns`` that does not fit stops the run with a one-line message naming the file and
the column (never a value):

* a mapped column the input does not have, a mapping onto a name another column already has,
  two columns mapped onto one name;
* a required column still missing after the mapping;
* a ``--pii-columns`` entry that is not a column of the input after the mapping;
* files of different formats, or CSV/TSV files whose headers differ.

:func:`stage_input` then copies the files into the run's raw zone, so the run works on a
snapshot (Macie-format results name the object they describe, and the masking job checks it
has not changed). A mapping renames columns on the way: CSV/TSV rewrite only the header line
(data bytes are copied unchanged, gzip/bzip2 included), JSON Lines rename each record's keys
(a line that is not a JSON object is kept verbatim so main_etl quarantines it as malformed),
Parquet is rewritten batch by batch with the new names. Values are never looked at.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import os
import re
import shutil
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from . import io as sio
from .errors import ConfigError, SchemaError
from .jsonargs import parse_json_arg
from .validation import REQUIRED_COLUMNS

__all__ = ["OwnInput", "parse_column_map", "inspect_input", "stage_input", "select_pii_columns"]

# a column name: letters, digits, _ . - and spaces, starting with a letter or _ (a header line of
# data values, e.g. an e-mail address or an amount, does not match and is never echoed)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .\-]{0,127}$")
_JSONL_HEAD_LINES = 1000  # JSON Lines: keys are collected from this many records of each file
_PARQUET_BATCH_ROWS = 65_536


def parse_column_map(value: str | Mapping[str, str] | None) -> dict[str, str]:
    """``"a=b,c=d"``, a JSON object ``{"a": "b"}`` or ``@file.json`` -> ``{"a": "b", ...}``."""
    if value is None or value == "":
        return {}
    if isinstance(value, str) and not value.strip().startswith(("{", "@")):
        mapping: dict[str, str] = {}
        for part in value.split(","):
            if not part.strip():
                continue
            if part.count("=") != 1:
                raise ConfigError("--column-map", f"expected YOUR_COLUMN=PIPELINE_COLUMN pairs separated by commas, "
                                                  f"got {part.strip()!r}")
            src, dst = (p.strip() for p in part.split("="))
            if not src or not dst:
                raise ConfigError("--column-map", f"empty column name in {part.strip()!r}")
            if src in mapping:
                raise ConfigError("--column-map", f"column {src!r} is mapped twice")
            mapping[src] = dst
        value = mapping
    parsed = parse_json_arg(value, "--column-map")
    if not isinstance(parsed, Mapping) or not all(isinstance(k, str) and isinstance(v, str) and k and v
                                                  for k, v in parsed.items()):
        raise ConfigError("--column-map", "must map input column names to pipeline column names (strings)")
    targets = list(parsed.values())
    twice = sorted({t for t in targets if targets.count(t) > 1})
    if twice:
        raise ConfigError("--column-map", f"several columns are mapped onto {twice[0]!r}")
    return dict(parsed)


@dataclass(frozen=True)
class OwnInput:
    """What :func:`inspect_input` found: the files, their format and columns (after the mapping)."""

    root: str
    files: tuple[str, ...]
    input_format: str
    columns: tuple[str, ...]  # as in the files
    column_map: Mapping[str, str]

    @property
    def mapped_columns(self) -> tuple[str, ...]:
        return tuple(self.column_map.get(c, c) for c in self.columns)

    @property
    def input_bytes(self) -> int:
        return sum(os.path.getsize(f) for f in self.files)


def _open_text(path: str) -> io.TextIOBase:
    lower = path.lower()
    if lower.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    if lower.endswith(".bz2"):
        return bz2.open(path, "rt", encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def _csv_header(path: str, sep: str) -> list[str]:
    try:
        with _open_text(path) as fh:
            first = fh.readline()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise SchemaError(path, None, f"cannot read the header line ({type(exc).__name__})") from None
    header = next(csv.reader([first], delimiter=sep), [])
    if not header or not any(h.strip() for h in header):
        raise SchemaError(path, None, "has no header line; the first line must name the columns")
    if not all(_NAME.match(h) for h in header):
        # a headerless file's first line is data: never echo it (it may hold personal data)
        raise SchemaError(path, None, "the first line is not a header of column names (names like transaction_id "
                                      "are expected; a file without a header line cannot be mapped)")
    return header


def _jsonl_keys(path: str) -> list[str]:
    keys: dict[str, None] = {}
    try:
        with _open_text(path) as fh:
            for i, line in enumerate(fh):
                if i >= _JSONL_HEAD_LINES:
                    break
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # a malformed line is main_etl's to quarantine
                if isinstance(record, dict):
                    keys.update(dict.fromkeys(map(str, record)))
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise SchemaError(path, None, f"cannot be read as JSON Lines ({type(exc).__name__})") from None
    return list(keys)


def _parquet_columns(path: str) -> list[str]:
    import pyarrow.parquet as pq

    try:
        return list(pq.read_schema(path).names)
    except Exception as exc:  # noqa: BLE001 - any unreadable footer is the same problem to the user
        raise SchemaError(path, None, f"cannot be read as Parquet ({type(exc).__name__})") from None


def _columns(path: str, fmt: str) -> list[str]:
    if fmt in ("csv", "tsv"):
        return _csv_header(path, "\t" if fmt == "tsv" else ",")
    if fmt == "parquet":
        return _parquet_columns(path)
    return _jsonl_keys(path)


def inspect_input(path: str, column_map: Mapping[str, str] | None = None, input_format: str | None = None) -> OwnInput:
    """List and check ``path`` (a file or folder) and ``column_map`` before anything runs."""
    from .pipeline import infer_format

    loc = sio.parse_location(path, "--input")
    if loc.is_s3:
        raise ConfigError("--input", "give a local file or folder (copy S3 data locally, or run the Glue jobs on AWS)")
    if not os.path.exists(loc.key):
        raise ConfigError("--input", f"{loc.key} does not exist")
    infos = [i for i in sio.list_objects(loc)]
    if not infos:
        raise ConfigError("--input", f"{loc.key} holds no data files (names starting with '_' or '.' are skipped)")
    if not any(i.size for i in infos):
        raise ConfigError("--input", f"every file under {loc.key} is empty; there is nothing to run on")
    fmt = input_format or infer_format(infos, loc.key)
    files = tuple(i.location.key for i in infos)
    mapping = dict(column_map or {})
    columns: list[str] | None = None
    first = None
    for f, info in zip(files, infos):
        if info.size == 0:
            continue
        found = _columns(f, fmt)
        if columns is None:
            columns, first = found, f
        elif fmt in ("csv", "tsv") and found != columns:
            raise SchemaError(f, None, f"its header differs from {os.path.basename(first or '')}'s; every file of "
                                       "one input needs the same columns in the same order")
        else:
            columns += [c for c in found if c not in columns]
    columns = columns or []
    where = first if len(files) == 1 or first is None else loc.key
    present = set(columns)
    for src, dst in mapping.items():
        if src not in present:
            raise ConfigError("--column-map", f"{src!r} is not a column of {where}; its columns are: "
                                              f"{', '.join(columns)}")
        if dst in present and dst not in mapping:
            raise ConfigError("--column-map", f"{src!r} is mapped onto {dst!r}, which {where} already has; "
                                              f"map or rename that column too")
    mapped = [mapping.get(c, c) for c in columns]
    lowered = {c.lower() for c in mapped}
    for required in REQUIRED_COLUMNS:
        if required not in lowered:
            raise SchemaError(where, required, "required column is missing; if your data names it differently, "
                                               f"add --column-map YOUR_COLUMN={required}")
    return OwnInput(root=loc.key, files=files, input_format=fmt, columns=tuple(columns), column_map=mapping)


def select_pii_columns(own: OwnInput, value: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """The tokenization config for an own input: ``--pii-columns`` checked against its columns.

    ``value`` is main_etl's JSON (or ``@file``), a comma list of columns (each gets the method
    the sample data uses for that name, else ``deterministic``), or None: the sample data's
    configuration for the columns the input has (always including ``customer_id``).
    """
    from .pipeline import default_pii_columns

    defaults = default_pii_columns()
    mapped = list(own.mapped_columns)
    if value is None or value == "":
        chosen = {c: defaults[c] for c in mapped if c in defaults}
    elif isinstance(value, str) and not value.strip().startswith(("{", "@")):
        names = [n.strip() for n in value.split(",") if n.strip()]
        if not names:
            raise ConfigError("--pii-columns", "give JSON, @FILE or a comma-separated list of column names")
        chosen = {n: defaults.get(n, {"method": "deterministic"}) for n in names}
    else:
        chosen = parse_json_arg(value, "--pii-columns")
        if not isinstance(chosen, Mapping):
            raise ConfigError("--pii-columns", "must be a JSON object of column -> method options")
    for name in chosen:
        if name not in mapped:
            hint = (f" (it is {next(s for s, d in own.column_map.items() if d == name)!r} before --column-map)"
                    if name in own.column_map.values() else "")
            raise ConfigError("--pii-columns", f"{name!r} is not a column of the input{hint}; columns after "
                                               f"--column-map: {', '.join(mapped)}")
    from .tokenization import parse_pii_columns

    parse_pii_columns(dict(chosen))  # methods and options validated here, before Spark starts
    return dict(chosen)


def _rename_csv(src: str, dst: str, mapping: Mapping[str, str], sep: str) -> None:
    lower = src.lower()
    opener = gzip.open if lower.endswith(".gz") else bz2.open if lower.endswith(".bz2") else open
    with opener(src, "rb") as fin, opener(dst, "wb") as fout:
        first = fin.readline()
        ending = b"\r\n" if first.endswith(b"\r\n") else b"\n" if first.endswith(b"\n") else b""
        text = first[: len(first) - len(ending)].decode("utf-8-sig")
        header = next(csv.reader([text], delimiter=sep))
        out = io.StringIO()
        csv.writer(out, delimiter=sep, lineterminator="").writerow([mapping.get(h, h) for h in header])
        fout.write(out.getvalue().encode("utf-8") + ending)
        shutil.copyfileobj(fin, fout, 1 << 20)


def _rename_jsonl(src: str, dst: str, mapping: Mapping[str, str]) -> None:
    lower = src.lower()
    opener = gzip.open if lower.endswith(".gz") else bz2.open if lower.endswith(".bz2") else open
    with opener(src, "rb") as fin, opener(dst, "wb") as fout:
        for line in fin:
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict):
                fout.write(line)  # not a JSON object: main_etl quarantines it as a malformed record
                continue
            renamed = {mapping.get(k, k): v for k, v in record.items()}
            fout.write(json.dumps(renamed, ensure_ascii=False).encode("utf-8") + b"\n")


def _rename_parquet(src: str, dst: str, mapping: Mapping[str, str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = pq.ParquetFile(src)
    schema = source.schema_arrow
    names = [mapping.get(n, n) for n in schema.names]
    writer = None
    try:
        for batch in source.iter_batches(batch_size=_PARQUET_BATCH_ROWS):  # bounded memory per batch
            table = pa.Table.from_batches([batch]).rename_columns(names)
            if writer is None:
                writer = pq.ParquetWriter(dst, table.schema)
            writer.write_table(table)
        if writer is None:  # no row group: keep the (renamed) schema
            pq.write_table(schema.empty_table().rename_columns(names), dst)
    finally:
        if writer is not None:
            writer.close()


def _relative_files(own: OwnInput) -> Iterator[tuple[str, str]]:
    root = own.root if os.path.isdir(own.root) else os.path.dirname(own.root)
    for f in own.files:
        yield f, os.path.relpath(f, root)


def stage_input(own: OwnInput, raw_dir: str) -> dict[str, Any]:
    """Copy (and, with a mapping, rename the columns of) every input file into ``raw_dir``."""
    if os.path.isdir(raw_dir):
        shutil.rmtree(raw_dir)  # the raw zone holds this input only, never a previous one
    mapping = {k: v for k, v in own.column_map.items() if k != v}
    for src, rel in _relative_files(own):
        dst = os.path.join(raw_dir, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if not mapping or os.path.getsize(src) == 0:
            shutil.copyfile(src, dst)
        elif own.input_format in ("csv", "tsv"):
            _rename_csv(src, dst, mapping, "\t" if own.input_format == "tsv" else ",")
        elif own.input_format == "parquet":
            _rename_parquet(src, dst, mapping)
        else:
            _rename_jsonl(src, dst, mapping)
    return {"input": own.root, "input_format": own.input_format, "files": len(own.files),
            "input_bytes": own.input_bytes, "column_map": dict(own.column_map)}
