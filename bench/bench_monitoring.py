"""The monitoring report over a large decision log: a report read afresh against one that reads
only what is new since the last report (what the service does between two report requests).

Usage: python bench/bench_monitoring.py [N]   (default 100,000 decisions)

Fills a SQLite decision log with N real score records (synthetic referrals scored by the
service's own model, rules and matching; ~9 KB each), a screening decision for 70% of them
and an outcome for 10%, then times, side by side in one run:

* ``whole``: ``decision_frame`` on a newly opened log, every score record read and parsed
  whole (each report before 2026-11-23, and each first report until score summaries);
* ``afresh``: the same from the score summaries (``hotline monitor``, which runs once, and
  the service's first report);
* ``again``: the same log object a second time, nothing written in between;
* ``+1,000``: after 1,000 more scores, 700 screenings and 100 outcomes;

and ``monitoring_report`` on the frame (the same work either way). Prints seconds and the
process's peak resident memory.
"""

from __future__ import annotations

import datetime as dt
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_decision_log import KEY, _responses  # noqa: E402

COMMON = {"screener_risk": "high", "screener_safety": "no_threat", "screener_id": "s1"}
CHUNK = 5_000


def _fill(log, start: int, n: int, items) -> None:
    from service.decision_log import record_outcomes, score_record
    from service.decision_log.db import lock_chain
    from service.decision_log.repository import append, transaction
    from service.decision_log.schemas import ScreeningRequest

    decision_ids = []
    futures = []
    for i in range(start, start + n):
        response, referral, features = items[i % len(items)]
        decision_id = uuid.uuid4().hex
        referral = referral.model_copy(
            update={"referral_id": f"R{i}", "household_id": f"H{i % (n // 3 + 1)}"}
        )
        record = score_record(
            log,
            response.model_copy(update={"decision_id": decision_id}),
            referral=referral,
            features=features,
        )
        futures.append(log.committer.submit(record))
        decision_ids.append(decision_id)
    for future in futures:
        future.result()
    screened = [d for k, d in enumerate(decision_ids) if k % 10 < 7]
    for first in range(0, len(screened), CHUNK):
        with transaction(log) as session:
            lock_chain(session)
            for k, decision_id in enumerate(screened[first : first + CHUNK]):
                decision = "screened_in" if k % 3 else "screened_out"
                request = ScreeningRequest(**COMMON, decision=decision, unit=f"unit-{k % 4}")
                payload = {**request.model_dump(mode="json"), "decision_id": decision_id}
                append(
                    session,
                    payload,
                    kind="screening",
                    decision_id=decision_id,
                    dedupe_key=f"screening:{decision_id}",
                )
    day = dt.date(2026, 6, 1).isoformat()
    rows = [
        {"referral_id": f"R{i}", "event": "re_referral", "event_date": day}
        for i in range(start, start + n, 10)
    ]
    record_outcomes(log, rows)


def _timed(step):
    started = time.perf_counter()
    result = step()
    return result, time.perf_counter() - started


def main() -> None:
    from service.decision_log import decision_rows as rows_module
    from service.decision_log import migrate, open_log
    from service.decision_log.decision_rows import read_decisions
    from service.decision_log.monitoring import decision_frame, monitoring_report

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    items = _responses(500)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'decisions.db'}"
        log = open_log(url, key=KEY)
        migrate(log.engine)
        _, filled = _timed(lambda: _fill(log, 0, n, items))
        size = (Path(tmp) / "decisions.db").stat().st_size / 2**20
        print(f"{n:,} decisions written in {filled:.0f} s ({size:,.0f} MB)")

        def report(frame):
            return monitoring_report(frame, None, threshold=16, min_cell=10)

        def afresh():
            other = open_log(url, key=KEY)
            try:
                return decision_frame(other)
            finally:
                other.dispose()

        def whole():
            kept = rows_module.summaries_kept
            rows_module.summaries_kept = lambda connection: False
            try:
                return afresh()
            finally:
                rows_module.summaries_kept = kept

        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        whole_frame, slow = _timed(whole)
        print(f"whole:   decision_frame {slow:6.2f} s (every score record read whole)")
        frame, cold = _timed(afresh)
        assert frame.equals(whole_frame), "the frame from summaries differs from whole records"
        print(f"afresh:  decision_frame {cold:6.2f} s ({slow / cold:,.1f}x faster; the same frame)")
        _, reported = _timed(lambda: report(frame))
        print(f"monitoring_report {reported:5.2f} s")
        _, first = _timed(lambda: decision_frame(log))
        print(f"first:   decision_frame {first:6.2f} s (the same log object from now on)")
        frame, again = _timed(lambda: decision_frame(log))
        print(f"again:   decision_frame {again:6.2f} s ({cold / again:,.0f}x faster)")
        _fill(log, n, 1_000, items)
        frame, added = _timed(lambda: decision_frame(log))
        fresh, cold2 = _timed(afresh)
        assert frame.equals(fresh), "the incremental frame differs from one read afresh"
        print(
            f"+1,000:  decision_frame {added:6.2f} s, afresh {cold2:.2f} s "
            f"({cold2 / added:,.0f}x faster; the same frame)"
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        kept = read_decisions(log).scores.memory_usage(deep=True).sum() / 2**20
        print(
            f"rows kept between reports: {kept:,.0f} MB; peak resident memory {peak:,.0f} MB "
            f"({rss:,.0f} MB before the first report)"
        )
        log.dispose()


if __name__ == "__main__":
    main()
