"""bench/portfolio: the "Export everything" ZIP, its time and the memory it holds, and the
query count of ``public_earner_names``.

In process, on a temporary SQLite database and local storage: one teacher with
``--awards`` awards (issued and published through award_credential) and, in a
second measure, ``--files`` evidence files of ``--mb`` MB each as well. Each export
is timed (median of ``--repeat``) and its peak traced memory (tracemalloc) is
compared with the archive's size: memory must stay flat while the archive grows.
Then ``public_earner_names`` for every award id: one query.

    .venv/bin/python bench/portfolio.py [--awards 10] [--files 40] [--mb 1] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--awards", type=int, default=10)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--mb", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from sqlalchemy import event

    from app import create_app
    from app.db import Base
    from app.extensions import db
    from config import TestingConfig

    work = Path(tempfile.mkdtemp(prefix="bench-portfolio-"))
    config = type("BenchConfig", (TestingConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.sqlite'}", "STORAGE_BACKEND": "local",
        "STORAGE_LOCAL_ROOT": str(work / "files")})
    app = create_app(config)
    with app.app_context():
        Base.metadata.create_all(db.engine)
        from app.portfolio import export, services
        from tests import factories
        from tests.portfolio.conftest import evidence_file, issue

        org = factories.organization()
        teacher = factories.user(organization=org, name="Bench Teacher")
        awards = [issue(teacher, factories.micro_credential(org)) for _ in range(args.awards)]

        def measure(label: str) -> None:
            samples, peaks, size = [], [], 0
            for _ in range(args.repeat + 1):
                tracemalloc.start()
                start = time.perf_counter()
                spool = export.build_export(teacher=teacher)
                elapsed = time.perf_counter() - start
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                spool.seek(0, io.SEEK_END)
                size = spool.tell()
                spool.close()
                samples.append(elapsed)
                peaks.append(peak)
            samples, peaks = samples[1:], peaks[1:]  # the first run warms templates and caches
            print(f"| {label} | {size / 1e6:.1f} MB | {statistics.median(samples) * 1000:.0f} ms "
                  f"| {max(peaks) / 1e6:.2f} MB |", flush=True)

        print("| export | archive | time (median) | peak traced memory |")
        print("|---|---|---|---|")
        measure(f"{args.awards} awards, no evidence")
        size = int(args.mb * 1024 * 1024)
        for n in range(args.files):
            evidence_file(awards[n % len(awards)], f"clip-{n}.mp4", bytes([n % 256]) * size,
                          content_type="video/mp4")
        measure(f"{args.awards} awards, {args.files} evidence files of {args.mb:g} MB")

        for award in awards:
            services.set_award_visibility(teacher=teacher, award=award, visible=True)
        services.update_profile(teacher=teacher, handle="bench-teacher", enabled=True)
        db.session.commit()
        ids = [a.id for a in awards] + list(range(10**6, 10**6 + 1000))
        statements: list[str] = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        start = time.perf_counter()
        names = services.public_earner_names(ids)
        elapsed = time.perf_counter() - start
        print(f"\npublic_earner_names over {len(ids)} ids: {len(names)} names, "
              f"{len(statements)} query, {elapsed * 1000:.1f} ms")


if __name__ == "__main__":
    main()
