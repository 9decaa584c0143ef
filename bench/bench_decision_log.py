"""Decision-log appends per second: SQLite vs PostgreSQL, group commit vs one transaction each.

Usage: python bench/bench_decision_log.py [--seconds 5] [--backends sqlite,postgres]
       python bench/bench_decision_log.py --rate 400 [--seconds 8]   (latency at a fixed rate)

Every append is a real score record (a response built from a synthetic referral by the
service's own scoring, rules and matching code, about 6 KB of canonical JSON) written through
:func:`service.decision_log.record_score` (the record `/v1/score` writes, queued from threads
rather than the event loop). Scenarios:

* ``1 x 1``: one process, one caller appending in a loop (latency-bound);
* ``1 x 32``: one process, 32 threads (the threadpool of one uvicorn worker);
* ``2 x 32``: two processes of 32 threads each (two workers, one chain).

Each runs with ``max_batch=1`` (one transaction per append, the design before group commit)
and with the default batch size (group commit). PostgreSQL: 127.0.0.1:5432, database
``test``, a uniquely named schema dropped afterwards. Prints appends/s, mean batch size and
whether the chain verifies.

With ``--rate R``: latency instead of throughput. One process submits records at R per second
on a fixed schedule (open loop, like requests that do not wait for each other) and times each
from submit to commit; SQLite with checkpoints on their own thread (the service's setting)
and with SQLite's default (a checkpoint inside every commit that takes the WAL past 1,000
pages) are run alternately in one run, then PostgreSQL. Prints p50/p99/p99.9/max and the
size of the WAL file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
KEY = b"bench-pseudonym-key-0123456789abcdef"


def _responses(n: int):
    from models import Referral, build_features, score_referral
    from service.referrals import load_directory, suggest_referrals
    from service.rules import RulesHolder, evaluate_rules
    from service.rules.loader import DEFAULT_RULES_PATH
    from service.schemas import ScoreResponse
    from training.data import load_jsonl
    from training.pipeline import train
    from training.synthetic import SynthConfig, generate, write_jsonl

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.jsonl"
        write_jsonl(SynthConfig(n_referrals=4_000, seed=1), path)
        model = train(load_jsonl(path, workers=1), kind="logistic", seed=0).model
    ruleset = RulesHolder.from_path(DEFAULT_RULES_PATH).current
    directory = load_directory(Path(__file__).resolve().parents[1] / "data/directory").directory
    config = SynthConfig(n_referrals=n, seed=11, start=dt.date(2025, 1, 1), years=1)
    out = []
    for raw in generate(config):
        referral = Referral.model_validate(raw["referral"])
        result = score_referral(model, referral)
        rules = evaluate_rules(
            ruleset,
            referral,
            probability=result.probability,
            score=result.score,
            band=result.band.value,
        )
        response = ScoreResponse(
            decision_id=uuid.uuid4().hex,
            referral_id=referral.referral_id,
            model_version=1,
            rules_version=rules.rules_version,
            probability=result.probability,
            score=result.score,
            band=result.band,
            label=model.label,
            recommendation=rules.recommendation,
            rule_hits=rules.rule_hits,
            explanation=result.explanation,
            referrals=suggest_referrals(directory, referral),
        )
        out.append((response, referral, build_features(referral)))
    return out


def _open(url: str, max_batch: int):
    from service.decision_log import open_log

    try:
        return open_log(url, key=KEY, max_batch=max_batch)
    except TypeError:  # before group commit: one transaction per append
        return open_log(url, key=KEY)


def _worker(url: str, threads: int, seconds: float, max_batch: int, counts) -> None:
    from service.decision_log import record_score

    items = _responses(50)
    log = _open(url, max_batch)
    stop = time.monotonic() + seconds
    done = [0] * threads

    def loop(t: int) -> None:
        i = t
        while time.monotonic() < stop:
            response, referral, features = items[i % len(items)]
            record_score(
                log,
                response.model_copy(update={"decision_id": uuid.uuid4().hex}),
                referral=referral,
                features=features,
            )
            done[t] += 1
            i += 1

    # Warm up the connection pool and the writer before the clock starts.
    response, referral, features = items[0]
    record_score(
        log,
        response.model_copy(update={"decision_id": uuid.uuid4().hex}),
        referral=referral,
        features=features,
    )
    start = time.monotonic()
    stop = start + seconds
    pool = [threading.Thread(target=loop, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    counts.put((sum(done), time.monotonic() - start))
    log.dispose()


def _verify(url: str) -> str:
    from service.decision_log import open_log, verify_chain

    log = open_log(url, key=KEY)
    report = verify_chain(log)
    log.dispose()
    return "ok" if report.ok else f"BROKEN: {report.broken}"


def _records(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM log_entries")).scalar_one()
    engine.dispose()
    return int(n)


def _fresh(backend: str, tmp: Path, name: str) -> tuple[str, object]:
    from service.decision_log import migrate

    if backend == "sqlite":
        url = f"sqlite:///{tmp / (name + '.db')}"
        cleanup = None
    else:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(PG_SERVER)
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        url = f"{PG_SERVER}?options=-csearch_path%3D{schema}"

        def cleanup() -> None:
            with admin.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()

    engine = sa.create_engine(url)
    migrate(engine)
    engine.dispose()
    return url, cleanup


def _latency(url: str, *, rate: float, seconds: float, inline_checkpoints: bool) -> str:
    """Append latencies at a fixed submit rate, as one line of figures."""
    from service.decision_log import score_record

    items = _responses(50)
    log = _open(url, 256)
    if inline_checkpoints:
        # SQLite's default, set after the service's own pragmas on every new connection.
        sa.event.listen(
            log.engine, "connect", lambda c, _: c.execute("PRAGMA wal_autocheckpoint=1000")
        )
        log.committer.checkpointer = None
    records = []
    for i in range(int(rate * seconds)):
        response, referral, features = items[i % len(items)]
        response = response.model_copy(update={"decision_id": uuid.uuid4().hex})
        records.append(score_record(log, response, referral=referral, features=features))
    # Warm up the connection and the writer before the clock starts.
    response, referral, features = items[0]
    log.committer.append(score_record(log, response, referral=referral, features=features))
    latencies: list[float] = []
    start = time.perf_counter()
    for i, record in enumerate(records):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        sent = time.perf_counter()
        future = log.committer.submit(record)
        future.add_done_callback(lambda _f, sent=sent: latencies.append(time.perf_counter() - sent))
    log.committer.close()
    wal = Path(str(log.engine.url.database) + "-wal") if url.startswith("sqlite") else None
    wal_mb = f"{os.path.getsize(wal) / 1e6:6.1f} MB" if wal and wal.exists() else "     -"
    log.dispose()
    latencies.sort()

    def ms(q: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))]

    return (
        f"{len(latencies):>6} {ms(0.5):>7.2f} {ms(0.99):>7.2f} {ms(0.999):>7.2f} "
        f"{1000 * latencies[-1]:>7.2f}   {wal_mb}   chain {_verify(url)}"
    )


def _latency_main(args: argparse.Namespace) -> None:
    print(f"appends at {args.rate:.0f}/s for {args.seconds:.0f} s, latency from submit to commit")
    print(f"{'log':<40} {'n':>6} {'p50 ms':>7} {'p99':>7} {'p99.9':>7} {'max':>7}   WAL file")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp_name:
        tmp = Path(tmp_name)
        runs = []
        if "sqlite" in args.backends:
            for round_ in (1, 2):
                runs += [
                    ("sqlite, checkpoints on their own thread", "sqlite", False, round_),
                    ("sqlite, checkpoints inside commits", "sqlite", True, round_),
                ]
        if "postgres" in args.backends:
            runs.append(("postgres", "postgres", False, 1))
        for name, backend, inline, round_ in runs:
            url, cleanup = _fresh(backend, tmp, f"lat-{inline}-{round_}")
            line = _latency(url, rate=args.rate, seconds=args.seconds, inline_checkpoints=inline)
            print(f"{name:<40} {line}", flush=True)
            if cleanup is not None:
                cleanup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--batch", type=int, default=256, help="group-commit batch limit")
    parser.add_argument("--rate", type=float, help="measure latency at this many appends/s")
    parser.add_argument("--dir", help="where the SQLite files go (default: the temp directory)")
    args = parser.parse_args()
    if args.rate:
        _latency_main(args)
        return
    ctx = mp.get_context("spawn")
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for backend in args.backends.split(","):
            for processes, threads in ((1, 1), (1, 32), (2, 32)):
                for max_batch in (1, args.batch):
                    url, cleanup = _fresh(backend, tmp, f"{processes}x{threads}x{max_batch}")
                    counts = ctx.Queue()
                    procs = [
                        ctx.Process(
                            target=_worker, args=(url, threads, args.seconds, max_batch, counts)
                        )
                        for _ in range(processes)
                    ]
                    for p in procs:
                        p.start()
                    results = [counts.get() for _ in procs]
                    for p in procs:
                        p.join()
                    rate = sum(n / s for n, s in results)
                    total = _records(url)
                    verified = _verify(url)
                    rows.append(
                        (backend, f"{processes} x {threads}", max_batch, rate, total, verified)
                    )
                    print(
                        f"{backend:<9} {processes} x {threads:<3} max_batch={max_batch:<4} "
                        f"{rate:>8.0f} appends/s  ({total} records, chain {verified})",
                        flush=True,
                    )
                    if cleanup is not None:
                        cleanup()
    print()
    print(f"{'backend':<9} {'procs x threads':<16} {'max_batch':>9} {'appends/s':>10}")
    for backend, shape, max_batch, rate, _, _ in rows:
        print(f"{backend:<9} {shape:<16} {max_batch:>9} {rate:>10.0f}")


if __name__ == "__main__":
    main()
