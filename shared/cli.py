"""`warden`: run the whole system, mint tokens, rebuild projections, verify logs, dead letters."""

import argparse
import importlib
import sys
from contextlib import contextmanager

from shared.config import SettingsError, load_settings
from shared.rules_file import RulesFileError

SERVICES = ("accounts", "withdrawals", "cases", "notify")


def service_spec(name: str):
    """Load a service's spec by name; the CLI is the one place that knows all four."""
    if name not in SERVICES:
        raise SystemExit(f"unknown service {name!r}; choose one of {', '.join(SERVICES)}")
    return importlib.import_module(f"services.{name}").service_spec(load_settings(name))


@contextmanager
def service_engine(name: str, *metadata):
    """The service's database, with its tables ensured, disposed of when the command ends."""
    from shared import eventstore
    from shared.db import make_engine

    engine = make_engine(load_settings(name).database_url)
    try:
        eventstore.create_schema(engine, *metadata)
        yield engine
    finally:
        engine.dispose()


def cmd_up(args) -> int:
    from shared.runner import run_system

    for name in args.services or SERVICES:
        service_spec(name)  # fail fast: a typo, a bad setting or a broken rules file
    return run_system(
        args.services or list(SERVICES), web_workers=args.web_workers, nats_port=args.nats_port
    )


def cmd_token(args) -> int:
    from shared.tokens import mint_token

    settings = load_settings("cli")
    try:
        token = mint_token(
            settings.jwt_secret,
            args.sub,
            args.role,
            police_unit=args.police_unit,
            branch_id=args.branch_id,
            ttl_seconds=args.ttl,
        )
    except ValueError as exc:
        print(f"warden token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def cmd_rebuild(args) -> int:
    spec = service_spec(args.service)
    with service_engine(args.service, spec.projections.metadata) as engine:
        before = spec.projections.snapshot(engine)
        replayed = spec.projections.rebuild(engine)
        after = spec.projections.snapshot(engine)
    changed = sorted(
        name for name in set(before) | set(after) if before.get(name) != after.get(name)
    )
    print(f"{args.service}: replayed {replayed} events into {len(after)} projection tables")
    if changed:
        print(f"state differs after rebuild in: {', '.join(changed)}")
        return 1
    print("state identical before and after rebuild")
    return 0


def cmd_verify(args) -> int:
    from shared import eventstore

    with service_engine(args.service) as engine:
        report = eventstore.verify(engine)
    if report.ok:
        print(f"{args.service}: hash chain intact over {report.checked} events")
        return 0
    print(f"{args.service}: TAMPERED — {report.problem} at position {report.position}")
    return 1


def cmd_dead_letters(args) -> int:
    from sqlalchemy import select

    from shared.db import read_transaction
    from shared.schema import dead_letters
    from shared.worker import processors

    spec = service_spec(args.service)
    with service_engine(args.service, spec.projections.metadata) as engine:
        if args.retry:
            settings = load_settings(args.service)
            for processor in processors(spec, settings, engine).values():
                outcome = processor.retry_dead_letters()
                print(
                    f"{processor.name}: {outcome['resolved']} resolved, {outcome['failed']} failed"
                )
        with read_transaction(engine) as conn:
            query = select(dead_letters).order_by(dead_letters.c.created_at)
            if not args.all:
                query = query.where(dead_letters.c.resolved_at.is_(None))
            rows = conn.execute(query).all()
    for row in rows:
        state = row.resolution or "parked"
        print(f"{row.id}  {row.consumer}  {row.subject}  x{row.attempts}  {state}  {row.error}")
    print(f"{len(rows)} dead letter(s)")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="warden", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="run NATS and every service in the foreground")
    up.add_argument("services", nargs="*", help=f"default: all of {', '.join(SERVICES)}")
    up.add_argument("--web-workers", type=int, default=1)
    up.add_argument("--nats-port", type=int, help="embedded NATS (default 14222, or any free)")
    up.set_defaults(func=cmd_up)

    token = sub.add_parser("token", help="mint a development JWT")
    token.add_argument("--role", required=True)
    token.add_argument("--sub", required=True)
    token.add_argument("--police-unit")
    token.add_argument("--branch-id")
    token.add_argument("--ttl", type=int, default=8 * 3600, help="seconds (default 8 h)")
    token.set_defaults(func=cmd_token)

    for name, func, text in (
        ("rebuild", cmd_rebuild, "drop projections, replay the log, compare state"),
        ("verify", cmd_verify, "check the event log's hash chain"),
        ("dead-letters", cmd_dead_letters, "list parked messages (and retry them)"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("service", choices=SERVICES)
        command.set_defaults(func=func)
        if name == "dead-letters":
            command.add_argument("--retry", action="store_true", help="run them again")
            command.add_argument("--all", action="store_true", help="include resolved ones")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (SettingsError, RulesFileError) as exc:  # an operator's: say which and why, no trace
        print(f"warden: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
