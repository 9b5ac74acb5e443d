"""``secure-transform feedback summarize``: missed PII (leak findings, denied reviews) -> a curated
table and candidate Macie custom data identifiers as a Terraform ``.tfvars.json``."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys

from .help import QUARANTINE_DEMO, ExampleFormatter, epilog

TFVARS_FILE = "macie_custom_data_identifiers.tfvars.json"
SUMMARY_JSON = "feedback_summary.json"
SUMMARY_CSV = "feedback_summary.csv"


_EXAMPLE = epilog(("A denied review leaves a feedback record; summarize it (synthetic test data):", [
    *QUARANTINE_DEMO,
    "secure-transform review deny test-users.csv --quarantine quarantine --reviewer j.doe",
    "secure-transform feedback summarize --quarantine quarantine --output feedback"]))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("feedback", help="turn leak findings and denied reviews into detector improvements",
                       description="Feedback records are written by the leak check and by `review deny` under "
                                   "<quarantine>/feedback/ (never values). `summarize` aggregates them and "
                                   "proposes Macie custom data identifiers. No Spark.",
                       epilog=_EXAMPLE, formatter_class=ExampleFormatter)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    sm = actions.add_parser("summarize", help="curated table + candidate Macie custom data identifiers (.tfvars.json)",
                            description="Aggregate every record set under <quarantine>/feedback/ into a table of the "
                                        "types and shapes missed, by column and source, and write OUTPUT/"
                                        f"{SUMMARY_JSON}, OUTPUT/{SUMMARY_CSV} and OUTPUT/{TFVARS_FILE} (for "
                                        "`terraform plan -var-file=...`: variable macie_custom_data_identifiers).",
                            epilog=_EXAMPLE, formatter_class=ExampleFormatter)
    sm.add_argument("--quarantine", required=True, action="append",
                    help="quarantine location (path or s3:// URI); repeat for each job's quarantine prefix "
                         "(on AWS: s3://<quarantine>/leak_check/ and s3://<quarantine>/macie_masking/)")
    sm.add_argument("--output", required=True, help="directory (or s3:// prefix) for the table and the .tfvars.json")
    sm.add_argument("--maximum-match-distance", type=int, default=50,
                    help="characters between a keyword and a match (Macie: 1-300; default 50)")
    sm.add_argument("--json", action="store_true", help="print the summary as JSON")
    sm.set_defaults(func=handle_summarize)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    columns = ["type", "example_shape", "column_or_path", "source", "detector_version", "records", "findings", "runs",
               "objects", "first_seen", "last_seen"]
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def handle_summarize(args: argparse.Namespace) -> int:
    from .. import io as sio
    from ..errors import ConfigError
    from ..feedback import MATCH_DISTANCE, candidate_identifiers, read_record_sets, summarize, table_lines, \
        tfvars_document, to_json

    if not MATCH_DISTANCE[0] <= args.maximum_match_distance <= MATCH_DISTANCE[1]:
        raise ConfigError("--maximum-match-distance", f"must be in [{MATCH_DISTANCE[0]}, {MATCH_DISTANCE[1]}], "
                                                      f"got {args.maximum_match_distance}")
    quarantines = [sio.parse_location(q, "--quarantine") for q in args.quarantine]
    output = sio.parse_location(args.output, "--output")
    sets, unreadable = read_record_sets(quarantines)
    summary = summarize(sets)
    summary["unreadable_record_sets"] = unreadable
    candidates = candidate_identifiers(summary, maximum_match_distance=args.maximum_match_distance)
    summary["candidate_identifiers"] = sorted(candidates)
    sio.write_text(output.child(SUMMARY_JSON), to_json(summary))
    sio.write_text(output.child(SUMMARY_CSV), _csv(summary["rows"]))
    sio.write_text(output.child(TFVARS_FILE), to_json(tfvars_document(candidates)))
    if args.json:
        print(json.dumps(summary, indent=2, sort_keys=True))
    else:
        print("\n".join(table_lines(summary)))
        print(f"{len(candidates)} candidate Macie custom data identifier(s) -> {output.child(TFVARS_FILE).uri}")
        if summary["rows"] and not candidates:
            print("  (no example shapes with at least 5 symbols: `review deny --example-shape` adds them)")
    for uri in unreadable:
        print(f"warning: {uri}: not a feedback record set; skipped and counted", file=sys.stderr)
    return 0
