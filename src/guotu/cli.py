"""The one command-line entry point: ``guotu demo | check | import | export | codes | validate | layers``.

Administrators script against this contract; keep it stable. Errors print one line on stderr and
exit non-zero, never a traceback (set ``GUOTU_DEBUG=1`` to see one).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from guotu.core.errors import GuotuError, IdentifierError, InputError
from guotu.core.messages import set_language, tr

EXIT_INVALID = 1  # `validate`: the value is invalid
EXIT_ERROR = 2  # bad input, bad file, unknown layer…
EXIT_INTERNAL = 3  # a bug: please report it


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(tr("cli.bad_date", value=text)) from exc


def _epsg(text: str) -> int:
    value = text.upper().removeprefix("EPSG:")
    if not value.isdigit():
        raise argparse.ArgumentTypeError(tr("cli.bad_epsg", value=text))
    return int(value)


def _where(items: Sequence[str] | None) -> dict[str, Any] | None:
    if not items:
        return None
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError("cli.bad_where", value=item)
        out[key] = int(value) if value.lstrip("-").isdigit() else value
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="guotu", description="国土空间“一张图”与自然资源业务平台 (guotu)")
    p.add_argument("--lang", choices=("zh", "en"), default=os.environ.get("GUOTU_LANG", "zh"),
                   help="language of messages and reports (default zh; env GUOTU_LANG)")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="write the seeded demo county (平湖) to a GeoPackage")
    d.add_argument("--out", required=True)
    d.add_argument("--seed", type=int, default=2024)
    d.add_argument("--patches", type=int, default=20000)
    d.add_argument("--no-ledger", action="store_true", help="leave out the demo year of ledger activity (用地一本账)")

    c = sub.add_parser("check", help="compliance review of a project site (合规性审查)")
    c.add_argument("site", help="coordinate txt, GeoJSON, Shapefile or FILE.gpkg[:LAYER]")
    c.add_argument("--db", required=True)
    c.add_argument("--date", type=_date, default=None, help="review date YYYY-MM-DD (default today)")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.add_argument("--crs", type=_epsg, default=None)
    c.add_argument("--encoding", default=None)
    c.add_argument("--gcj02", action="store_true", help="lon/lat taken from a Chinese web map (GCJ-02)")
    c.add_argument("--sliver-m2", type=float, default=None, help="sliver tolerance in m² (default 1)")

    i = sub.add_parser("import", help="load a file into a layer, all or nothing")
    i.add_argument("file")
    i.add_argument("--db", required=True)
    i.add_argument("--layer", required=True)
    i.add_argument("--edition", default=None)
    i.add_argument("--valid-from", type=_date, default=None)
    i.add_argument("--valid-to", type=_date, default=None)
    i.add_argument("--status", default="approved", choices=("approved", "draft", "superseded"))
    i.add_argument("--document", default="")
    i.add_argument("--title", default="")
    i.add_argument("--crs", type=_epsg, default=None)
    i.add_argument("--encoding", default=None)
    i.add_argument("--gcj02", action="store_true", help="lon/lat taken from a Chinese web map (GCJ-02)")
    i.add_argument("--repair", action="store_true", help="repair invalid geometry under the policy")
    i.add_argument("--create", action="store_true", help="create the database file if missing")

    e = sub.add_parser("export", help="write a layer to a file (format from the suffix)")
    e.add_argument("--db", required=True)
    e.add_argument("--layer", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--date", type=_date, default=None, help="only features in force on this date")
    e.add_argument("--where", action="append", metavar="FIELD=VALUE")
    e.add_argument("--limit", type=int, default=None)
    e.add_argument("--encoding", default=None)

    o = sub.add_parser("overlay", help="area of each group of SRC inside each group of OVERLAY (m², mu)")
    o.add_argument("source", help="FILE or FILE.gpkg:LAYER")
    o.add_argument("other", metavar="overlay", help="FILE or FILE.gpkg:LAYER")
    o.add_argument("--group-by", default=None, help="field of SRC to group by (e.g. land_class)")
    o.add_argument("--overlay-group", default=None, help="field of OVERLAY to group by")
    o.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local (this process, all cores) or dask (a dask.distributed cluster; docs/cluster.md)")
    o.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="with --engine dask: the scheduler, e.g. tcp://10.0.0.5:8786 (default: GUOTU_DASK_SCHEDULER, "
                        "else a local cluster of 2 worker processes)")
    o.add_argument("--json", action="store_true")

    k = sub.add_parser("codes", help="print a land classification as CSV")
    k.add_argument("edition", help="ydyh-2023 or gbt21010-2017")

    v = sub.add_parser("validate", help="validate an identifier")
    v.add_argument("kind", choices=("id", "uscc", "unit"))
    v.add_argument("value")

    cp = sub.add_parser("copy", help="copy a whole database (GeoPackage ⇄ PostGIS), verified layer by layer")
    cp.add_argument("src", help="FILE.gpkg or postgresql://USER@HOST:PORT/DB?schema=NAME")
    cp.add_argument("dst", help="FILE.gpkg or PostgreSQL URL, created when missing; must hold none of the layers")

    ls = sub.add_parser("layers", help="list the layers and editions of a database")
    ls.add_argument("--db", required=True)
    ls.add_argument("--json", action="store_true")

    sv = sub.add_parser("serve", help="serve the web map, the API, OGC API – Features and vector tiles")
    sv.add_argument("--db", default=os.environ.get("GUOTU_DB", ""), help="FILE.gpkg or PostgreSQL URL (env GUOTU_DB)")
    sv.add_argument("--host", default=os.environ.get("GUOTU_HOST", "127.0.0.1"))
    sv.add_argument("--port", type=int, default=int(os.environ.get("GUOTU_PORT", "8000")))

    us = sub.add_parser("user", help="manage the accounts of the web service")
    usub = us.add_subparsers(dest="user_command", required=True)
    ua = usub.add_parser("add", help="add an account (or replace it with --replace)")
    ua.add_argument("name")
    ua.add_argument("--role", action="append", required=True, choices=("viewer", "planner", "administrator"),
                    help="viewer, planner or administrator (repeatable)")
    ua.add_argument("--password", default=None, help="else GUOTU_PASSWORD, else asked at the terminal")
    ua.add_argument("--display-name", default="")
    ua.add_argument("--replace", action="store_true", help="replace an existing account's password and roles")
    ua.add_argument("--db", required=True)
    ul = usub.add_parser("list", help="list the accounts")
    ul.add_argument("--db", required=True)
    ul.add_argument("--json", action="store_true")
    lg = sub.add_parser("ledger", help="the land ledger (用地“一本账”): figures, records, reconcile, xlsx, add")
    lsub = lg.add_subparsers(dest="ledger_command", required=True)
    lf = lsub.add_parser("figures", help="figures of a period, each with its definition and records")
    lf.add_argument("--db", required=True)
    lf.add_argument("--from", dest="start", type=_date, required=True, help="first day YYYY-MM-DD (included)")
    lf.add_argument("--to", dest="end", type=_date, required=True, help="last day YYYY-MM-DD (included)")
    lf.add_argument("--town", default=None, help="9-digit town code: only that town's records")
    lf.add_argument("--stock-from-year", type=int, default=None, help="earlier stock window start (default 2009)")
    lf.add_argument("--stock-to-year", type=int, default=None, help="its end (default: year before --from)")
    lf.add_argument("--rate-years", type=int, default=None, help="supply rate window in years (default 5)")
    lf.add_argument("--due-days", type=int, default=None, help="contracts due within N days of --to (default 90)")
    lf.add_argument("--json", action="store_true")
    lr = lsub.add_parser("records", help="list the records (all kinds, or one)")
    lr.add_argument("--db", required=True)
    lr.add_argument("--kind", default=None)
    lr.add_argument("--date", type=_date, default=None, help="the date of supplies' status (default today)")
    lr.add_argument("--json", action="store_true")
    lc = lsub.add_parser("reconcile", help="per batch: approved = supplied + unsupplied, and the problems found")
    lc.add_argument("--db", required=True)
    lc.add_argument("--date", type=_date, default=None, help="only batches approved and supplies signed by then")
    lc.add_argument("--json", action="store_true")
    lx = lsub.add_parser("export", help="the year's figures and records as an xlsx workbook")
    lx.add_argument("--db", required=True)
    lx.add_argument("--year", type=int, required=True)
    lx.add_argument("--out", required=True)
    ld = lsub.add_parser("add", help="add records of one kind from GeoJSON (kinds with geometry), CSV or JSON")
    ld.add_argument("file")
    ld.add_argument("--db", required=True)
    ld.add_argument("--kind", required=True)
    return p


# pyogrio imports geopandas, pandas and pyarrow when they are installed (the bench and cluster extras
# bring them), for its data-frame and Arrow functions only; guotu reads and writes through its numpy
# API. Importing them costs about a second of every command's start-up (0.4 s on a fast machine).
_PYOGRIO_EXTRAS = ("geopandas", "pandas", "pyarrow")


def _load_pyogrio_lean() -> None:
    """Import pyogrio with its optional data-frame and Arrow dependencies hidden. This is for the
    command's own process (:func:`run`; not :func:`main`, which tests call in theirs): pyogrio's
    ``read_dataframe`` and Arrow functions then report those packages missing in it, and nothing of
    guotu uses them. Other modules may still import pandas."""
    if "pyogrio" in sys.modules:
        return
    hidden = [name for name in _PYOGRIO_EXTRAS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` raise ImportError
    try:
        import pyogrio  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]


def run() -> None:
    """The ``guotu`` command: :func:`main` in a process of its own."""
    _load_pyogrio_lean()
    sys.exit(main())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    set_language(args.lang)
    try:
        return int(_COMMANDS[args.command](args))
    except IdentifierError as exc:
        print(exc.message, file=sys.stderr)
        return EXIT_INVALID if args.command == "validate" else EXIT_ERROR
    except GuotuError as exc:
        print(tr("cli.error", message=exc.message), file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader went away (e.g. `guotu ledger figures --json | head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(tr("cli.interrupted"), file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("GUOTU_DEBUG"):
            traceback.print_exc()
        print(tr("cli.internal", kind=type(exc).__name__, message=str(exc).splitlines()[0] if str(exc) else ""),
              file=sys.stderr)
        return EXIT_INTERNAL


def _cmd_demo(args: argparse.Namespace) -> int:
    from guotu.demo.generate import build_demo
    from guotu.demo.ledger import build_ledger_activity
    from guotu.demo.save import write_demo

    if not 1000 <= args.patches <= 990_000:
        raise InputError("cli.patches_range", value=args.patches)
    county = build_demo(seed=args.seed, patches=args.patches)
    ledger = [] if args.no_ledger else build_ledger_activity(county, args.seed)
    out = write_demo(county, args.out, ledger=ledger)
    counts = ", ".join(f"{name} {len(layer.batch)}" for name, layer in county.layers.items())
    if ledger:
        counts += f", ledger {len(ledger)}"
    print(tr("cli.demo_written", path=str(out), seed=args.seed, counts=counts))
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from guotu.core.policy import DEFAULT_POLICY
    from guotu.onemap.compliance import review_json
    from guotu.onemap.report import render_text
    from guotu.onemap.service import check_file
    from guotu.store import open_store

    policy = DEFAULT_POLICY if args.sliver_m2 is None else DEFAULT_POLICY.with_(sliver_m2=args.sliver_m2)
    store = open_store(args.db)
    try:
        review = check_file(store, args.site, date=args.date, crs=args.crs, encoding=args.encoding,
                            policy=policy, gcj02=args.gcj02)
    finally:
        store.close()
    if args.json:
        print(json.dumps(review_json(review, args.lang), ensure_ascii=False, indent=2, default=str))
    else:
        sys.stdout.write(render_text(review, args.lang))
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from guotu.onemap.service import import_file
    from guotu.store import open_store

    store = open_store(args.db, create=args.create)
    try:
        result = import_file(
            store, args.file, args.layer, edition=args.edition, valid_from=args.valid_from,
            valid_to=args.valid_to, status=args.status, document=args.document, crs=args.crs,
            encoding=args.encoding, allow_repair=args.repair, title=args.title, actor="cli", gcj02=args.gcj02,
        )
    finally:
        store.close()
    print(tr("cli.imported", count=result.count, layer=result.layer, source=result.source,
             epsg=result.source_epsg, encoding=result.encoding or "-", edition=result.edition or "-"))
    for note in result.repairs:
        print(tr("cli.repaired", record=note.record, fixed=", ".join(note.fixed),
                 before=f"{note.area_before_m2:.4f}", after=f"{note.area_after_m2:.4f}",
                 parts_before=note.parts_before, parts_after=note.parts_after))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from guotu.onemap.service import export_layer
    from guotu.store import open_store

    store = open_store(args.db)
    try:
        n = export_layer(store, args.layer, args.out, as_of=args.date, where=_where(args.where),
                         limit=args.limit, encoding=args.encoding)
    finally:
        store.close()
    print(tr("cli.exported", count=n, layer=args.layer, path=args.out))
    return 0


def _cmd_overlay(args: argparse.Namespace) -> int:
    from guotu.onemap.overlay_cmd import overlay_files

    scheduler, timeout = args.scheduler, 10.0
    if args.engine == "dask":
        from guotu.api.settings import Settings

        settings = Settings()
        scheduler = settings.dask_scheduler if scheduler is None else scheduler
        timeout = settings.dask_connect_timeout_s
    result = overlay_files(args.source, args.other, group_by=args.group_by, overlay_group=args.overlay_group,
                           engine=args.engine, scheduler=scheduler, connect_timeout_s=timeout)
    doc = result.as_dict()
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print(f"{doc['total_area_m2']:.2f} m²  {doc['total_area_mu']:.4f} 亩")
        for g in doc["groups"]:
            label = " / ".join(str(x) for x in (g["group"], g["overlay_group"]) if x is not None) or "—"
            print(f"  {label:<24} {g['area_m2']:>16.2f} m² {g['area_mu']:>14.4f} 亩")
    return 0


def _cmd_codes(args: argparse.Namespace) -> int:
    from guotu.core.codes import load_edition

    sys.stdout.write(load_edition(args.edition).to_csv())
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from guotu.core.identifiers import validate

    parsed = validate(args.kind, args.value)
    print(tr("cli.valid", value=getattr(parsed, "value", args.value)))
    return 0


def _cmd_layers(args: argparse.Namespace) -> int:
    from guotu.store import open_store

    store = open_store(args.db)
    try:
        rows: list[dict[str, Any]] = [
            {"name": info.name, "title": info.title, "geometry_type": info.geometry_type,
             "count": info.count, "versioned": info.versioned,
             "editions": [e.as_dict() for e in store.editions(info.name)]}
            for info in store.layers()
        ]
    finally:
        store.close()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            print(f"{row['name']:<20} {row['geometry_type']:<14} {row['count']:>8}  {row['title']}")
            for e in row["editions"]:
                print(f"    {e['name']}  [{e['status']}]  {e['valid_from']} – {e['valid_to'] or ''}")
    return 0


def _cmd_copy(args: argparse.Namespace) -> int:
    from pathlib import Path

    from guotu.store import is_postgres_url, open_store
    from guotu.store.copy import copy_store

    new_file = not is_postgres_url(args.dst) and not Path(args.dst).exists()
    src = open_store(args.src)
    try:
        dst = open_store(args.dst, create=True)
        try:
            report = copy_store(src, dst, actor="guotu copy")
        except BaseException:
            dst.close()
            if new_file:  # the copy wrote nothing: do not leave an empty database file behind
                Path(args.dst).unlink(missing_ok=True)
            raise
        dst.close()
    finally:
        src.close()
    for layer in report.layers:
        print(tr("copy.layer_line", layer=layer.name, count=layer.count, editions=layer.editions,
                 checksum=layer.checksum))
    print(tr("copy.done", source=report.source, destination=report.destination, layers=len(report.layers),
             features=report.features, users=report.users))
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from guotu.api import create_app
    from guotu.api.settings import Settings
    from guotu.store import is_postgres_url, open_store

    if not args.db:
        raise InputError("api.no_store")
    store = open_store(args.db)  # a missing or broken database is one line on stderr, before serving
    try:
        app = create_app(Settings(db=args.db, host=args.host, port=args.port), store=store)
        shown = args.db
        if is_postgres_url(args.db):
            from guotu.store.postgis import mask_url

            shown = mask_url(args.db)
        print(tr("cli.serving", host=args.host, port=args.port, db=shown), flush=True)
        uvicorn.run(app, host=args.host, port=args.port, log_level="info", proxy_headers=True)
    finally:
        store.close()
    return 0


def _password(name: str, given: str | None) -> str:
    import getpass

    if given:
        return given
    env = os.environ.get("GUOTU_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        raise InputError("auth.password_needed")
    first = getpass.getpass(tr("cli.password_prompt", name=name))
    if getpass.getpass(tr("cli.password_again")) != first:
        raise InputError("auth.password_mismatch")
    return first


def _cmd_user(args: argparse.Namespace) -> int:
    from guotu.platform.auth import add_user
    from guotu.store import open_store

    store = open_store(args.db)
    try:
        if args.user_command == "add":
            existed = store.get_user(args.name) is not None
            user = add_user(store, args.name, _password(args.name, args.password), args.role,
                            display_name=args.display_name, actor="cli", replace=args.replace)
            key = "cli.user_replaced" if existed else "cli.user_added"
            print(tr(key, name=user.name, roles=", ".join(user.roles)))
            return 0
        users = store.users()
    finally:
        store.close()
    if args.json:
        rows = [{"name": u.name, "display_name": u.display_name, "roles": list(u.roles), "active": u.active}
                for u in users]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for u in users:
            print(f"{u.name:<20} {','.join(u.roles):<28} {'' if u.active else '(inactive) '}{u.display_name}")
    return 0


def _cmd_ledger(args: argparse.Namespace) -> int:
    from guotu.ledger import service
    from guotu.ledger.figures import FigureParams
    from guotu.store import open_store

    store = open_store(args.db)
    try:
        if args.ledger_command == "add":
            added = service.add_file(store, args.kind, args.file, actor="cli")
            from guotu.ledger.model import get_kind

            print(tr("ledger.added", count=len(added), kind=args.kind, label=get_kind(args.kind).label_zh))
            return 0
        if args.ledger_command == "export":
            n_figures, n_sheets = service.export_year(store, args.year, args.out)
            print(tr("ledger.exported", year=args.year, figures=n_figures, sheets=n_sheets, path=args.out))
            return 0
        if args.ledger_command == "figures":
            given = {"stock_from_year": args.stock_from_year, "stock_to_year": args.stock_to_year,
                     "supply_rate_years": args.rate_years, "due_within_days": args.due_days}
            params = FigureParams(**{k: v for k, v in given.items() if v is not None})
            figs = service.figures(store, args.start, args.end, args.town, params)
            if args.json:
                print(json.dumps([f.as_dict() for f in figs], ensure_ascii=False, indent=2))
            else:
                for f in figs:
                    print(f"{f.id:<32} {f.label}  {f.value} {f.unit}")
            return 0
        if args.ledger_command == "records":
            rows = service.list_records(store, args.kind, args.date)
            if args.json:
                print(json.dumps(rows, ensure_ascii=False, indent=2))
            else:
                for row in rows:
                    dates = " ".join(f"{k}={v}" for k, v in row["dates"].items() if v)
                    area = f"  {row['area_mu']} 亩" if "area_mu" in row else ""
                    print(f"{row['kind']:<16} {row['id']:<24} {dates}{area}")
            return 0
        result = service.reconciliation(store, args.date)
    finally:
        store.close()
    if args.json:
        print(json.dumps(result.as_dict(args.lang), ensure_ascii=False, indent=2))
    else:
        for b in result.batches:
            print(f"{b.batch_no:<24} {b.approved_m2:>14.2f} = {b.supplied_m2:>14.2f} + {b.unsupplied_m2:>14.2f} m²")
            for problem in b.problems:
                print(f"    {problem.message(args.lang)}")
        for problem in result.problems:
            print(problem.message(args.lang))
        totals = result.totals()
        print(tr("ledger.reconcile_summary", batches=len(result.batches), approved_mu=totals["approved_mu"],
                 supplied_mu=totals["supplied_mu"], unsupplied_mu=totals["unsupplied_mu"],
                 problems=result.problem_count))
    return 0


_COMMANDS = {
    "demo": _cmd_demo, "check": _cmd_check, "import": _cmd_import, "export": _cmd_export,
    "codes": _cmd_codes, "overlay": _cmd_overlay, "validate": _cmd_validate, "layers": _cmd_layers, "copy": _cmd_copy,
    "serve": _cmd_serve, "user": _cmd_user, "ledger": _cmd_ledger,
}

if __name__ == "__main__":
    run()
