"""The built-in PII detector: Spark-native recognisers, the free-text scrubber and the detector job.

Modules: :mod:`.formats` (facts about real-world formats), :mod:`.validators` (checksums as Spark
expressions), :mod:`.registry` (one :class:`Recognizer` record per kind of personal data, the
configuration and context keywords), :mod:`.expressions` (``find_pii`` and friends built from the
registry), :mod:`.frame` (DataFrame-level counts), :mod:`.files` (formats, CSV fields, indexed
lines), :mod:`.records` (records spanning lines, malformed lines), :mod:`.scan` (objects -> Macie
detections) and :mod:`.job` (the detector job entry). Other modules use only the names listed here.
"""

from .expressions import MATCH_TYPE, PLACEHOLDERS, cell_shape, digit_count, explode_matches, find_pii, redact_pii_spans, type_spans
from .files import (FORMATS, MIME_TYPES, bare_cr, csv_fields, csv_header_fields, csv_unquote, header_like, indexed_lines,
                    indexed_rows, json_leaves, object_format, read_head, sniff_json, spark_path_key)
from .frame import NUMBER_MIN_MAGNITUDE, detect_pii, scannable
from .job import detect_objects, format_summary, run_detect_pii
from .records import RowMap, joined_records
from .registry import (CUSTOM_TYPES, KEYWORD_DISTANCE, MANAGED_TYPES, MODES, NAME_BIT, RECOGNIZERS, DetectConfig,
                       Recognizer, context_flags, recognizer_for_type, type_category)
from .scan import ObjectScan, avro_available, object_identity, relative_key, scan_objects
from .validators import aba_checksum_valid, iban_valid, let, luhn_valid

__all__ = [
    "CUSTOM_TYPES",
    "DetectConfig",
    "FORMATS",
    "KEYWORD_DISTANCE",
    "MANAGED_TYPES",
    "MATCH_TYPE",
    "MIME_TYPES",
    "MODES",
    "NAME_BIT",
    "NUMBER_MIN_MAGNITUDE",
    "ObjectScan",
    "PLACEHOLDERS",
    "RECOGNIZERS",
    "Recognizer",
    "RowMap",
    "aba_checksum_valid",
    "avro_available",
    "bare_cr",
    "cell_shape",
    "context_flags",
    "csv_fields",
    "csv_header_fields",
    "csv_unquote",
    "detect_objects",
    "detect_pii",
    "digit_count",
    "explode_matches",
    "find_pii",
    "format_summary",
    "header_like",
    "iban_valid",
    "indexed_lines",
    "indexed_rows",
    "joined_records",
    "json_leaves",
    "let",
    "luhn_valid",
    "object_format",
    "object_identity",
    "read_head",
    "recognizer_for_type",
    "redact_pii_spans",
    "relative_key",
    "run_detect_pii",
    "scan_objects",
    "scannable",
    "sniff_json",
    "spark_path_key",
    "type_category",
    "type_spans",
]
