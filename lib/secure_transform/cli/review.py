"""``secure-transform review``: list, approve or deny quarantined objects (values never printed)."""

from __future__ import annotations

import argparse
import json

from ..errors import ConfigError
from .help import QUARANTINE_DEMO, ExampleFormatter, epilog


# Approval is for objects that were analysed, e.g. one with more occurrences than the results list
# (reason occurrence_cap); an object quarantined before analysis (etag_mismatch) can only be denied.
_EXAMPLE = epilog(("A file with more e-mail addresses than the results list is quarantined (occurrence_cap); list it "
                   "and approve it (synthetic test data):", [
                       "mkdir -p raw && printf 'name,email\\nAda Example,ada@example.com\\n' > raw/people.csv",
                       "{ echo name,email; seq 1 1001 | sed 's/.*/Test User,test&@example.com/'; } > raw/test-users.csv",
                       "secure-transform detect --input raw --output results",
                       "secure-transform mask --input raw --results results --output masked --quarantine quarantine "
                       "--policy '{\"on_occurrence_cap\": \"quarantine\"}'",
                       "secure-transform review list --quarantine quarantine",
                       "secure-transform review approve test-users.csv --quarantine quarantine --masked masked "
                       "--reviewer j.doe --note 'synthetic test file, no real person'"]))
_DENY_EXAMPLE = epilog(("A file changed after detection is quarantined before analysis (etag_mismatch): deny it and "
                        "re-run detection and masking on the new file:", [
                            *QUARANTINE_DEMO, "secure-transform review list --quarantine quarantine",
                            "secure-transform review deny test-users.csv --quarantine quarantine --reviewer j.doe"]))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="review the quarantine: list, approve or deny",
                       description="Manual approval step for objects the masking job quarantined. `approve` moves "
                                   "an object to the masked zone and tags it review=approved with reviewer and "
                                   "time; 'deny' deletes it and records the decision in its audit record. "
                                   "No Spark; values are never printed.",
                       epilog=_EXAMPLE, formatter_class=ExampleFormatter)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    ls = actions.add_parser("list", help="list quarantined objects and runs with reasons and finding counts",
                            description="List what is in the quarantine zone: each object or run with its kind, "
                                        "reason, review status, record count and finding counts per type.",
                            epilog=_EXAMPLE, formatter_class=ExampleFormatter)
    ls.add_argument("--quarantine", required=True, help="quarantine zone (path or s3:// URI)")
    ls.add_argument("--all", action="store_true", help="include objects already reviewed")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=handle_list)
    ap = actions.add_parser("approve", help="move a quarantined object into the masked zone",
                            description="Move a quarantined object (a key as 'review list' prints it) into the "
                                        "masked zone, where the next run picks it up, and tag it review=approved "
                                        "with reviewer and time. Approve only what you checked is masked.",
                            epilog=_EXAMPLE, formatter_class=ExampleFormatter)
    _add_key(ap)
    ap.add_argument("--quarantine", required=True, help="quarantine zone")
    ap.add_argument("--masked", required=True, help="masked zone (destination)")
    ap.add_argument("--reviewer", required=True, help="who approves (recorded and tagged)")
    ap.add_argument("--note", default=None, help="free-text justification (no personal data)")
    ap.set_defaults(func=handle_approve)
    dn = actions.add_parser("deny", help="delete a quarantined object (the audit record stays)",
                            description="Delete a quarantined object (a key as 'review list' prints it); its "
                                        "reason and audit record stay, tagged with the decision, reviewer and time.",
                            epilog=_DENY_EXAMPLE, formatter_class=ExampleFormatter)
    _add_key(dn)
    dn.add_argument("--quarantine", required=True, help="quarantine zone")
    dn.add_argument("--reviewer", required=True, help="who denies (recorded and tagged)")
    dn.add_argument("--note", default=None, help="free-text justification (no personal data)")
    dn.add_argument("--type", dest="pii_type", default=None,
                    help="the PII type the detector missed (e.g. CREDIT_CARD_NUMBER); default: the types it counted")
    dn.add_argument("--column", default=None, help="column that held the missed data (feedback record)")
    dn.add_argument("--json-path", default=None, help="JSON path that held the missed data (feedback record)")
    dn.add_argument("--example-shape", default=None,
                    help="redacted shape of the missed value: 9 = digit, A/a = upper/lower-case letter, separators "
                         "' -./_:@+()#,*' (e.g. '9999 9999 9999 9999 999'); real-looking data is refused")
    dn.set_defaults(func=handle_deny)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _add_key(parser: argparse.ArgumentParser) -> None:
    # the object may be given as `review approve <key> ...` (as the runbook writes it) or with --key
    parser.add_argument("object", nargs="?", default=None, metavar="KEY", help="object key as 'review list' prints it")
    parser.add_argument("--key", default=None, help="the same, as an option")


def _object_key(args: argparse.Namespace) -> str:
    if args.object and args.key and args.object != args.key:
        raise ConfigError("--key", "the object is given twice with different keys; give it once")
    key = args.object or args.key
    if not key:
        raise ConfigError("KEY", "name the quarantined object to decide on, as 'review list' prints it")
    return key


def handle_list(args: argparse.Namespace) -> int:
    from .. import io as sio
    from ..review import list_quarantine

    items = list_quarantine(sio.parse_location(args.quarantine, "--quarantine"), include_decided=args.all)
    if args.json:
        print(json.dumps([i.as_dict() for i in items], indent=2))
        return 0
    if not items:
        print("quarantine is empty")
    for i in items:
        counts = ", ".join(f"{t}: {n}" for t, n in sorted(i.findings_by_type.items())) or "no findings"
        records = "?" if i.records is None else f"{i.records:,}"
        print(f"[{i.kind}] {i.key}  reason={i.reason}  status={i.status}  records={records}  findings: {counts}")
        if i.detail:
            print(f"    {i.detail}")
    return 0


def handle_approve(args: argparse.Namespace) -> int:
    from .. import io as sio
    from ..review import approve

    key = _object_key(args)
    d = approve(sio.parse_location(args.quarantine, "--quarantine"), key,
                sio.parse_location(args.masked, "--masked"), args.reviewer, note=args.note)
    print(f"approved {key} -> {d['destination']} (reviewer {d['reviewer']}, {d['at']})")
    return 0


def handle_deny(args: argparse.Namespace) -> int:
    from .. import io as sio
    from ..review import deny

    key = _object_key(args)
    d = deny(sio.parse_location(args.quarantine, "--quarantine"), key, args.reviewer, note=args.note,
             pii_type=args.pii_type, column=args.column, json_path=args.json_path, example_shape=args.example_shape)
    print(f"denied {key}: deleted (reviewer {d['reviewer']}, {d['at']}); feedback record: {d['feedback']}")
    return 0
