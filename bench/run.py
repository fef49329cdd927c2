"""`make bench` / `make bench-quick`: seed PostgreSQL, start gunicorn as the Procfile does, drive it with wrk.

Every scenario runs at 100 concurrent connections for the same duration, right after the
ceiling (GET /bench/ceiling, a minimal JSON view of the same app under the same server),
so each figure is also a ratio of what Flask can do on this box. SQL statements per
request are counted in-process (SQLAlchemy `before_cursor_execute`) on the same database.
Results: a table on stdout, bench/results/<timestamp>.json and .md.
"""

import argparse
import atexit
import contextlib
import json
import os
import platform
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))  # the app itself, for tokens and statement counts
SIZES = {
    "full": {"events": 100_000, "users": 20_000, "registrations": 200_000, "database": "kijani_bench"},
    "quick": {"events": 10_000, "users": 2_000, "registrations": 20_000, "database": "kijani_bench_quick"},
}
#: users who register and cancel during the run (each gets one access token)
TOKEN_USERS = 3000
#: the throwaway Redis database of the run (broker and REDIS_URL); flushed at the end
REDIS_URL = "redis://127.0.0.1:6379/11"

#: read scenarios: name -> (path, what it shows)
DEEP_PAGE = 2000

TARGETS = {
    "list": 0.5, "filtered": 0.5, "search": 0.5, "detail": 0.5, "register": 0.25,
}

_children = []


def main():
    options = parse_args()
    sizes = SIZES[options.size]
    database = options.database or sizes["database"]
    database_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
    started = time.monotonic()
    wrk = ensure_wrk()
    env = server_environment(database_url, options)
    os.environ.update(env)  # the in-process app (tokens, statement counts) sees the same settings

    step(f"Database {database}")
    create_database(database)
    run([VENV_BIN / "flask", "db", "upgrade"], env, quiet=True)
    step(f"Seeding (idempotent): {sizes['events']} events, {sizes['users']} users, "
         f"{sizes['registrations']} registrations")
    seed_started = time.monotonic()
    run([VENV_BIN / "flask", "seed", "--events", str(sizes["events"]), "--users", str(sizes["users"]),
         "--registrations", str(sizes["registrations"])], env)
    vacuum(database)
    seed_seconds = time.monotonic() - seed_started

    step("Preparing requests: access tokens, registration and cancel work lists")
    work = prepare(options)
    statements = count_statements(work)

    results = {"meta": meta(options, sizes, database, wrk, seed_seconds), "scenarios": [],
               "statements": statements}
    step(f"Starting gunicorn: {options.workers} workers x {options.threads} threads")
    port = start_server(env, options)
    try:
        scenarios = read_scenarios(work)
        for name, path, request_file in scenarios:
            results["scenarios"].append(drive(wrk, name, port, path, request_file, options,
                                              options.connections))
        results["scenarios"].append(drive(wrk, "register", port, "/", work["register_file"], options,
                                          options.connections, warmup=False))
        results["invariants"] = check_invariants(database)
        cancel_file = prepare_cancels(work)
        results["scenarios"].append(drive(wrk, "cancel", port, "/", cancel_file, options,
                                          options.connections, warmup=False))
        results["invariants_after_cancel"] = check_invariants(database)
        results["scenarios"].append(drive(wrk, "search_1client", port, work["search_path"], None, options,
                                          1, threads=1))
    finally:
        stop_children()
        purge_redis()
    results["meta"]["wall_seconds"] = round(time.monotonic() - started, 1)
    report(results)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="full")
    parser.add_argument("--database", help="PostgreSQL database (default: kijani_bench or kijani_bench_quick)")
    parser.add_argument("--duration", type=int, default=30, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--wrk-threads", type=int, default=1,
                        help="wrk threads (1 is enough for a few thousand requests/s, and leaves the "
                             "cores to the server)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", os.cpu_count())))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("GUNICORN_THREADS", 4)))
    parser.add_argument("--only", help="comma-separated scenarios to run (ceiling always runs)")
    return parser.parse_args()


def step(message):
    print(f"==> {message}", flush=True)


def run(command, env, quiet=False):
    result = subprocess.run([str(part) for part in command], env={**os.environ, **env}, cwd=ROOT,
                            capture_output=quiet, text=True)
    if result.returncode != 0:
        if quiet:
            print(result.stdout, result.stderr, file=sys.stderr)
        sys.exit(f"{command[0]} failed with exit code {result.returncode}")


def ensure_wrk():
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    step("wrk is not installed: installing the Debian package (apt-get install wrk)")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk") or sys.exit("wrk could not be installed")


def server_environment(database_url, options):
    return {
        "FLASK_APP": "wsgi",
        "KIJANI_ENV": "production",
        "SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,  # throwaway: this run only
        "JWT_SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "JWT_ACCESS_MINUTES": "240",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "KIJANI_RATELIMIT_ENABLED": "false",
        "KIJANI_BENCH_CEILING": "1",
        "WEB_CONCURRENCY": str(options.workers),
        "GUNICORN_THREADS": str(options.threads),
    }


def create_database(name):
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"    created {name}")
        else:
            print(f"    reusing {name} (seeding only adds what is missing)")


def vacuum(database):
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


# --- preparing the work ------------------------------------------------------------------------

def app_context(**overrides):
    from kijani import create_app

    app = create_app(overrides or None)
    return app, app.app_context()


def prepare(options):
    """Tokens for TOKEN_USERS generated users, and the request files of the write scenarios."""
    from sqlalchemy import func, select

    from kijani.auth.models import User
    from kijani.auth.services import issue_tokens
    from kijani.events.models import Category, Event
    from kijani.extensions import db
    from kijani.registrations.models import ACTIVE_STATUSES, Registration
    from kijani.seed import BULK_USER_DOMAIN

    app, context = app_context()
    work_dir = RESULTS / "work"
    work_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(time.time_ns())
    with context:
        now = datetime.now(UTC)
        soon = now + timedelta(days=1)
        users = db.session.scalars(select(User).where(User.email.like(f"%{BULK_USER_DOMAIN}"))).all()
        users = rng.sample(users, min(TOKEN_USERS, len(users)))
        user_ids = [user.id for user in users]
        tokens = {}
        for user in users:
            tokens[user.id] = issue_tokens(user)["access_token"]
        # Registering: pairs without an active registration, over many upcoming events.
        events = db.session.scalars(
            select(Event.id).where(Event.status == "published", Event.starts_at > soon)).all()
        events = rng.sample(events, min(5000, len(events)))
        active = {(user_id, event_id) for user_id, event_id in db.session.execute(
            select(Registration.user_id, Registration.event_id)
            .where(Registration.user_id.in_(user_ids), Registration.status.in_(ACTIVE_STATUSES)))}
        pairs = set()
        wanted = 1500 * options.duration + 1  # more than 2 cores can register
        while len(pairs) < wanted:
            pair = (rng.choice(user_ids), rng.choice(events))
            if pair not in active:
                pairs.add(pair)
        pairs = list(pairs)
        rng.shuffle(pairs)
        probe_register, pairs = pairs[0], pairs[1:]
        register_file = work_dir / "register.tsv"
        register_file.write_text("".join(
            f"POST\t/api/v1/events/{event_id}/registrations\t{tokens[user_id]}\t{{\"quantity\": 1}}\n"
            for user_id, event_id in pairs))
        probe_cancel = cancellable_registrations(user_ids, rng, limit=1)[0]
        # Reads: a filtered list that matches something, a detail for many events.
        tech = db.session.scalar(select(Category.slug).where(Category.slug == "tech"))
        year = (now + timedelta(days=60)).year
        filtered = (f"/api/v1/events?location=nairobi&category={tech}"
                    f"&starts_after={year}-01-01&starts_before={year}-06-30")
        upcoming = db.session.scalar(select(func.count()).select_from(Event).where(
            Event.status == "published", Event.starts_at >= now))
        deep_page = min(DEEP_PAGE, max(1, int(upcoming / 20 * 0.6)))
        detail_ids = rng.sample(events, min(2000, len(events)))
        detail_file = work_dir / "detail.tsv"
        detail_file.write_text("".join(f"GET\t/api/v1/events/{event_id}\t-\t-\n" for event_id in detail_ids))
        db.session.remove()
        db.engine.dispose()
    print(f"    {len(tokens)} tokens, {len(pairs)} registrations to make, "
          f"deep page {deep_page} of {upcoming // 20 + 1}")
    return {
        "register_file": register_file, "detail_file": detail_file, "tokens": tokens,
        "filtered_path": filtered, "search_path": "/api/v1/events?q=python%20nairobi",
        "deep_path": f"/api/v1/events?page={deep_page}", "deep_page": deep_page,
        "probe_register": (str(probe_register[1]), tokens[probe_register[0]]),
        "probe_cancel": (str(probe_cancel[0]), tokens[probe_cancel[1]]),
        "detail_probe": str(detail_ids[0]),
    }


def cancellable_registrations(user_ids, rng, limit=None):
    """(registration id, user id) of active registrations of these users, events not started."""
    from sqlalchemy import select

    from kijani.events.models import Event
    from kijani.extensions import db
    from kijani.registrations.models import ACTIVE_STATUSES, Registration

    rows = [(registration_id, user_id) for registration_id, user_id in db.session.execute(
        select(Registration.id, Registration.user_id).join(Event, Event.id == Registration.event_id)
        .where(Registration.user_id.in_(user_ids), Registration.status.in_(ACTIVE_STATUSES),
               Event.starts_at > datetime.now(UTC) + timedelta(days=1)))]
    rng.shuffle(rows)
    return rows[:limit]


def prepare_cancels(work):
    """The cancel scenario's requests: active registrations of the token holders (made just now too)."""
    from kijani.extensions import db

    app, context = app_context()
    tokens = work["tokens"]
    with context:
        rows = [row for row in cancellable_registrations(list(tokens), random.Random(1))
                if str(row[0]) != work["probe_cancel"][0]]
        db.session.remove()
        db.engine.dispose()
    cancel_file = RESULTS / "work" / "cancel.tsv"
    cancel_file.write_text("".join(f"POST\t/api/v1/registrations/{registration_id}/cancel\t"
                                   f"{tokens[user_id]}\t-\n" for registration_id, user_id in rows))
    print(f"    {len(rows)} registrations to cancel")
    return cancel_file


def read_scenarios(work):
    return [
        ("ceiling", "/bench/ceiling", None),
        ("list", "/api/v1/events", None),
        ("filtered", work["filtered_path"], None),
        ("search", work["search_path"], None),
        ("deep_page", work["deep_path"], None),
        ("detail", "/", work["detail_file"]),
    ]


def count_statements(work):
    """SQL statements of one request per scenario, counted in-process on the same database.

    The read cache is off here: these are the statements of a cache miss (a hit runs none).
    """
    from sqlalchemy import event

    from kijani.extensions import db

    app, context = app_context(KIJANI_EVENTS_CACHE_SECONDS=0)
    client = app.test_client()
    probes = {
        "list": ("GET", "/api/v1/events", None, None),
        "list_page_size_100": ("GET", "/api/v1/events?page_size=100", None, None),
        "filtered": ("GET", work["filtered_path"], None, None),
        "search": ("GET", work["search_path"], None, None),
        "deep_page": ("GET", work["deep_path"], None, None),
        "detail": ("GET", f"/api/v1/events/{work['detail_probe']}", None, None),
        "register": ("POST", f"/api/v1/events/{work['probe_register'][0]}/registrations",
                     work["probe_register"][1], {"quantity": 1}),
        "cancel": ("POST", f"/api/v1/registrations/{work['probe_cancel'][0]}/cancel",
                   work["probe_cancel"][1], None),
    }
    counts = {}
    with context:
        engine = db.engine
        for name, (method, path, token, body) in probes.items():
            if method == "GET":
                client.get(path)  # warm the caches first, as under load
            statements = []

            def record(conn, cursor, statement, parameters, context, executemany, into=statements):
                into.append(statement)

            event.listen(engine, "before_cursor_execute", record)
            try:
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                response = client.open(path, method=method, json=body, headers=headers)
            finally:
                event.remove(engine, "before_cursor_execute", record)
            counts[name] = {"statements": len(statements), "status": response.status_code}
        db.session.remove()
        engine.dispose()
    return counts


# --- the server and the load generator -----------------------------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env, options):
    port = free_port()
    log = open(RESULTS / "gunicorn.log", "w")  # noqa: SIM115  (open for the server's lifetime)
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "wsgi:app", "--config", "gunicorn.conf.py"],
        cwd=ROOT, env={**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{port}",
                       "GUNICORN_ACCESSLOG": os.environ.get("GUNICORN_ACCESSLOG", "-"),
                       "PATH": f"{VENV_BIN}:{os.environ['PATH']}"},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    _children.append(server)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}; see {RESULTS / 'gunicorn.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                if response.status == 200:
                    print(f"    /health is up on port {port} (pid {server.pid})")
                    return port
        except OSError:
            time.sleep(0.3)
    sys.exit("gunicorn did not answer /health within 60 s")


def drive(wrk, name, port, path, request_file, options, connections, threads=None, warmup=True):
    threads = threads or options.wrk_threads
    if options.only and name != "ceiling" and name not in options.only.split(","):
        return {"name": name, "skipped": True}
    env = {**os.environ, "BENCH_THREADS": str(threads)}
    if request_file:
        env["BENCH_REQUESTS"] = str(request_file)
    url = f"http://127.0.0.1:{port}{path}"
    command = [wrk, f"-t{threads}", f"-c{connections}", "--timeout", "10s",
               "-s", str(BENCH / "wrk" / "scenario.lua"), url]
    if warmup:  # let caches, pools and the JIT-less interpreter settle: 3 s not counted
        subprocess.run(command[:1] + ["-d3s"] + command[1:], env=env, capture_output=True, check=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.monotonic()
    process = subprocess.Popen(command[:1] + [f"-d{options.duration}s"] + command[1:], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _children.append(process)
    output, _ = process.communicate()
    _children.remove(process)
    wall = time.monotonic() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((line for line in output.splitlines() if line.startswith("BENCH_JSON ")), None)
    if line is None:
        sys.exit(f"wrk gave no summary for {name}:\n{output}")
    data = json.loads(line[len("BENCH_JSON "):])
    seconds = data["duration_us"] / 1e6
    statuses = {int(code): count for code, count in data["statuses"].items()}
    ok = sum(count for code, count in statuses.items() if 200 <= code < 300)
    conflicts = statuses.get(409, 0) if name == "register" else 0
    errors = sum(count for code, count in statuses.items() if not 200 <= code < 300) - conflicts
    errors += sum(data["socket_errors"].values())
    wrk_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = {
        "name": name, "path": path if not request_file else request_file.name,
        "connections": connections, "seconds": round(seconds, 2), "requests": data["requests"],
        "rps": round(data["requests"] / seconds, 1), "ok": ok, "errors": errors, "conflicts_409": conflicts,
        "statuses": statuses, "wrapped": data["wrapped"],
        "p50_ms": data["latency_us"]["p50"] / 1000, "p95_ms": data["latency_us"]["p95"] / 1000,
        "p99_ms": data["latency_us"]["p99"] / 1000, "max_ms": data["latency_us"]["max"] / 1000,
        "loadgen_cpu_share": round(wrk_cpu / (wall * os.cpu_count()), 3),
    }
    print(f"    {name:15} {result['rps']:8.1f} req/s  p50 {result['p50_ms']:7.1f} ms  "
          f"p99 {result['p99_ms']:7.1f} ms  errors {errors}  409 {conflicts}  "
          f"wrk cpu {result['loadgen_cpu_share']:.1%}", flush=True)
    return result


def check_invariants(database):
    import psycopg

    sql = (BENCH / "invariants.sql").read_text()
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}") as conn:
        cursor = conn.execute(sql)
        row = cursor.fetchone()
        figures = dict(zip([column.name for column in cursor.description], row, strict=True))
    ok = not any(figures.values())
    print(f"    capacity and counters: {'OK' if ok else 'BROKEN'} {figures}", flush=True)
    return {"ok": ok, **figures}


def stop_children():
    while _children:
        child = _children.pop()
        if child.poll() is not None:
            continue
        try:
            os.killpg(child.pid, signal.SIGTERM) if _is_group_leader(child) else child.terminate()
            child.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL) if _is_group_leader(child) else child.kill()


def _is_group_leader(child):
    try:
        return os.getpgid(child.pid) == child.pid
    except ProcessLookupError:
        return False


def purge_redis():
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except Exception as exc:  # leftover queued mails in a throwaway database do no harm
        print(f"    could not empty {REDIS_URL}: {exc}")


# --- reporting ---------------------------------------------------------------------------------

def meta(options, sizes, database, wrk, seed_seconds):
    import gunicorn
    import psycopg
    import sqlalchemy

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}") as conn:
        postgres = conn.execute("SHOW server_version").fetchone()[0]
    wrk_version = subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip())
    with open("/proc/meminfo") as meminfo:
        memory_kib = int(meminfo.readline().split()[1])
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"), "size": options.size,
        "database": database, **{k: v for k, v in sizes.items() if k != "database"},
        "seed_seconds": round(seed_seconds, 1), "duration_s": options.duration,
        "connections": options.connections, "gunicorn_workers": options.workers,
        "gunicorn_threads": options.threads, "wrk_threads": options.wrk_threads,
        "git": commit + ("+uncommitted" if dirty else ""), "nproc": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1), "cpu": _cpu_model(),
        "python": platform.python_version(), "postgresql": postgres, "flask": _version("flask"),
        "sqlalchemy": sqlalchemy.__version__,
        "gunicorn": gunicorn.__version__, "psycopg": psycopg.__version__, "wrk": wrk_version,
        "access_log": os.environ.get("GUNICORN_ACCESSLOG", "-") or "off",
    }


def _version(package):
    from importlib.metadata import version

    return version(package)


def _cpu_model():
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def evaluate(results):
    """Each target as (scenario, target, figure, met)."""
    by_name = {s["name"]: s for s in results["scenarios"] if not s.get("skipped")}
    ceiling = by_name["ceiling"]["rps"]
    checks = []
    for name, share in TARGETS.items():
        if name in by_name:
            ratio = by_name[name]["rps"] / ceiling
            checks.append((name, f">= {share:.0%} of ceiling", f"{ratio:.0%}", ratio >= share))
    if "register" in by_name:
        checks.append(("register", "no errors, capacity kept", f"{by_name['register']['errors']} errors, "
                       f"invariants {'OK' if results.get('invariants', {}).get('ok') else 'BROKEN'}",
                       by_name["register"]["errors"] == 0 and results.get("invariants", {}).get("ok")))
    if "deep_page" in by_name and "list" in by_name:
        factor = by_name["list"]["rps"] / by_name["deep_page"]["rps"]
        checks.append(("deep_page", "within 2x page 1", f"{factor:.2f}x slower", factor <= 2))
    for name, scenario in by_name.items():
        if name != "search_1client":
            checks.append((name, "p99 <= 200 ms", f"{scenario['p99_ms']:.0f} ms", scenario["p99_ms"] <= 200))
    if "search_1client" in by_name:
        p95 = by_name["search_1client"]["p95_ms"]
        checks.append(("search_1client", "p95 <= 20 ms", f"{p95:.1f} ms", p95 <= 20))
    for name in ("list", "list_page_size_100", "filtered", "search", "deep_page"):
        if name in results["statements"]:
            n = results["statements"][name]["statements"]
            checks.append((name, "<= 4 SQL statements", str(n), n <= 4))
    return checks


def report(results):
    results["targets"] = [dict(zip(("scenario", "target", "measured", "met"), check, strict=True))
                          for check in evaluate(results)]
    scenarios = [s for s in results["scenarios"] if not s.get("skipped")]
    ceiling = next(s["rps"] for s in scenarios if s["name"] == "ceiling")
    header = ("| scenario | conns | req/s | p50 ms | p95 ms | p99 ms | errors | 409 | SQL/req | "
              "of ceiling | wrk CPU |")
    lines = [header, "|" + "---|" * 11]
    for s in scenarios:
        statements = results["statements"].get(s["name"].replace("_1client", ""), {}).get("statements", "")
        lines.append(f"| {s['name']} | {s['connections']} | {s['rps']:.0f} | {s['p50_ms']:.1f} | "
                     f"{s['p95_ms']:.1f} | {s['p99_ms']:.1f} | {s['errors']} | {s['conflicts_409']} | "
                     f"{statements} | {s['rps'] / ceiling:.0%} | {s['loadgen_cpu_share']:.0%} |")
    m = results["meta"]
    lines_meta = [
        f"Run {m['timestamp']} ({m['git']}), {m['size']}: {m['events']} events, {m['users']} users, "
        f"{m['registrations']} seeded registrations in `{m['database']}` (seeding took {m['seed_seconds']} s).",
        f"{m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB; Python {m['python']}, PostgreSQL "
        f"{m['postgresql']}, SQLAlchemy {m['sqlalchemy']}, gunicorn {m['gunicorn']} "
        f"({m['gunicorn_workers']} workers x {m['gunicorn_threads']} threads, gthread, access log "
        f"{m['access_log']}), {m['wrk']} ({m['wrk_threads']} thread).",
        f"{m['duration_s']} s per scenario after a 3 s warm-up (not for register/cancel); "
        f"whole run {m['wall_seconds']} s.",
    ]
    inv = results.get("invariants")
    if inv:
        figures = ", ".join(f"{k} {v}" for k, v in inv.items() if k != "ok")
        lines_meta.append(f"After the registration scenario: capacity and counters "
                          f"{'OK' if inv['ok'] else 'BROKEN'} ({figures}).")
    inv = results.get("invariants_after_cancel")
    if inv:
        lines_meta.append(f"After the cancel scenario: {'OK' if inv['ok'] else 'BROKEN'}.")
    target_lines = ["| scenario | target | measured | met |", "|---|---|---|---|"]
    target_lines += [f"| {t['scenario']} | {t['target']} | {t['measured']} | {'yes' if t['met'] else '**no**'} |"
                     for t in results["targets"]]
    markdown = "\n".join(["# Benchmark " + m["timestamp"], "", *lines_meta, "", *lines, "",
                          "## Targets", "", *target_lines, ""])
    print()
    print(markdown)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"{stamp}.json").write_text(json.dumps(results, indent=2, default=str))
    (RESULTS / f"{stamp}.md").write_text(markdown)
    print(f"Written: bench/results/{stamp}.json and .md")


def _on_signal(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    atexit.register(stop_children)
    # Also SIGINT: a shell that starts us in the background makes Python ignore it otherwise.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_signal)
    try:
        main()
    except KeyboardInterrupt:
        stop_children()
        purge_redis()
        sys.exit("interrupted: the server and wrk were stopped")
