"""``secure-transform review``: list, approve or deny quarantined objects (values never printed)."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="review the quarantine: list, approve or deny",
                       description="Manual approval step for objects the masking job quarantined. `approve` moves "
                                   "an object to the masked zone and tags it review=approved with reviewer and "
                                   "time; `deny` deletes it and records the decision in its audit record.")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    ls = actions.add_parser("list", help="list quarantined objects and runs with reasons and finding counts")
    ls.add_argument("--quarantine", required=True, help="quarantine zone (path or s3:// URI)")
    ls.add_argument("--all", action="store_true", help="include objects already reviewed")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=handle_list)
    ap = actions.add_parser("approve", help="move a quarantined object into the masked zone")
    ap.add_argument("--quarantine", required=True, help="quarantine zone")
    ap.add_argument("--key", required=True, help="object key as listed")
    ap.add_argument("--masked", required=True, help="masked zone (destination)")
    ap.add_argument("--reviewer", required=True, help="who approves (recorded and tagged)")
    ap.add_argument("--note", default=None, help="free-text justification (no personal data)")
    ap.set_defaults(func=handle_approve)
    dn = actions.add_parser("deny", help="delete a quarantined object (the audit record stays)")
    dn.add_argument("--quarantine", required=True, help="quarantine zone")
    dn.add_argument("--key", required=True, help="object key as listed")
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

    d = approve(sio.parse_location(args.quarantine, "--quarantine"), args.key,
                sio.parse_location(args.masked, "--masked"), args.reviewer, note=args.note)
    print(f"approved {args.key} -> {d['destination']} (reviewer {d['reviewer']}, {d['at']})")
    return 0


def handle_deny(args: argparse.Namespace) -> int:
    from .. import io as sio
    from ..review import deny

    d = deny(sio.parse_location(args.quarantine, "--quarantine"), args.key, args.reviewer, note=args.note,
             pii_type=args.pii_type, column=args.column, json_path=args.json_path, example_shape=args.example_shape)
    print(f"denied {args.key}: deleted (reviewer {d['reviewer']}, {d['at']}); feedback record: {d['feedback']}")
    return 0
