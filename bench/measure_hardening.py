"""Hardening round two, measured on the release binary: cheap polling against /healthz, a
flood of correct sign-ins (memory, sessions, API reads meanwhile), and how long SIGTERM
takes with event streams open. Starts the binary itself, on a fresh SQLite file or a
fresh PostgreSQL database, and stops it.

cargo build --release --locked
python3 bench/measure_hardening.py sqlite|postgres [polling] [flood] [stop]

Needs wrk (Debian's package) for the polling figures."""
import http.client, json, os, re, socket, statistics, subprocess, sys, tempfile, threading, time
import urllib.parse, uuid

BIN = os.path.abspath("target/release/yuqing-tracker")
PG_ADMIN = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PASSWORD = "基准测试密码0123456789"


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


class Service:
    def __init__(self, backend):
        self.dir = tempfile.mkdtemp()
        self.env = dict(os.environ, YUQING__LOG__FILTER="warn")
        if backend == "postgres":
            self.db = "yq_bench_" + uuid.uuid4().hex[:12]
            subprocess.run(["psql", "-q", PG_ADMIN, "-c", f"CREATE DATABASE {self.db}"], check=True)
            self.env["DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + self.db
        else:
            self.db = None
            self.env["DATABASE_URL"] = f"sqlite://{self.dir}/bench.db"
        self.port = free_port()
        self.env["YUQING__SERVER__BIND"] = f"127.0.0.1:{self.port}"
        self.token = self.cli("token", "create", "--role", "admin", "--name", "bench").strip().splitlines()[-1]
        self.proc = None

    def cli(self, *args, stdin=None):
        return subprocess.run([BIN, *args], env=self.env, cwd=self.dir, input=stdin,
                              capture_output=True, text=True, check=True).stdout

    def start(self):
        self.proc = subprocess.Popen([BIN], env=self.env, cwd=self.dir,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                if self.request("GET", "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit("service did not start")

    def request(self, method, path, body=None, headers=None, token=True):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + self.token
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body); h["Content-Type"] = "application/json"
        c.request(method, path, body=body, headers=h)
        r = c.getresponse(); data = r.read(); c.close()
        return r.status, data, r

    def rss_mib(self):
        status = open(f"/proc/{self.proc.pid}/status").read()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate(); self.proc.wait(30)
        if self.db:
            subprocess.run(["psql", "-q", PG_ADMIN, "-c", f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)"])


def seed(svc, incidents=20):
    st, _, _ = svc.request("POST", "/api/v1/units", {"code": "4401", "name": "广州市税务局", "level": "city_bureau"})
    assert st == 201, st
    for i in range(incidents):
        st, d, _ = svc.request("POST", "/api/v1/incidents", {
            "title": f"舆情 {i}", "summary": "摘要", "source_channel": "weibo",
            "discovered_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600)),
            "severity": "general", "category": "other", "responsible_units": [{"code": "4401"}]})
        assert st == 201, (st, d[:200])


def cpu_seconds(pid):
    """User plus system CPU time the process has used so far."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(svc, path, headers, seconds):
    """Requests per second, and the service's CPU microseconds per request (steadier on a
    shared machine: it does not count what wrk itself takes)."""
    args = ["wrk", "-t2", "-c32", f"-d{seconds}s"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    before = cpu_seconds(svc.proc.pid)
    out = subprocess.run(args + [f"http://127.0.0.1:{svc.port}{path}"], capture_output=True, text=True).stdout
    cpu = cpu_seconds(svc.proc.pid) - before
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), cpu / total * 1e6


def polling(svc):
    _, _, r = svc.request("GET", "/api/v1/incidents?limit=50")
    etag = r.getheader("ETag")
    st, _, _ = svc.request("GET", "/api/v1/incidents?limit=50", headers={"If-None-Match": etag})
    assert st == 304, st
    health, poll = [], []
    for _ in range(9):  # alternated, so both see the same machine
        health.append(wrk(svc, "/healthz", {}, 5))
        poll.append(wrk(svc, "/api/v1/incidents?limit=50",
                        {"Authorization": "Bearer " + svc.token, "If-None-Match": etag}, 5))
    h, p = statistics.median(r for r, _ in health), statistics.median(r for r, _ in poll)
    hc, pc = statistics.median(c for _, c in health), statistics.median(c for _, c in poll)
    print(f"polling: /healthz median {h:.0f} req/s {sorted(round(r) for r, _ in health)}; "
          f"304 median {p:.0f} req/s {sorted(round(r) for r, _ in poll)}; ratio {p / h:.0%}")
    print(f"polling: service CPU per request: /healthz {hc:.1f} µs, 304 {pc:.1f} µs; "
          f"ratio {hc / pc:.0%}")


def sign_in(svc, login):
    body = urllib.parse.urlencode({"login": login, "password": PASSWORD, "next": "/"})
    st, _, _ = svc.request("POST", "/login", body, token=False,
                           headers={"Content-Type": "application/x-www-form-urlencoded",
                                    "Origin": f"http://127.0.0.1:{svc.port}"})
    return st


def flood(svc, logins, total=200, at_once=64):
    """`total` correct sign-ins, `at_once` in flight, spread over `logins`, while one client
    reads a page of incidents (200, no ETag) in a loop."""
    reads, statuses, peak = [], {}, [svc.rss_mib()]
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            t = time.perf_counter()
            st, _, _ = svc.request("GET", "/api/v1/incidents?limit=50")
            reads.append((time.perf_counter() - t, st))

    def sampler():
        while not stop.is_set():
            peak.append(svc.rss_mib()); time.sleep(0.02)

    def baseline():
        quiet = []
        for _ in range(200):
            t = time.perf_counter(); svc.request("GET", "/api/v1/incidents?limit=50")
            quiet.append(time.perf_counter() - t)
        return quiet

    quiet = baseline()
    before = svc.rss_mib()
    threads = [threading.Thread(target=reader), threading.Thread(target=sampler)]
    for t in threads:
        t.start()
    lock = threading.Lock()
    queue = [logins[i % len(logins)] for i in range(total)]

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                login = queue.pop()
            st = sign_in(svc, login)
            with lock:
                statuses[st] = statuses.get(st, 0) + 1

    started = time.perf_counter()
    workers = [threading.Thread(target=worker) for _ in range(at_once)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    took = time.perf_counter() - started
    stop.set()
    for t in threads:
        t.join()
    during = sorted(d for d, _ in reads)
    read_statuses = {}
    for _, st in reads:
        read_statuses[st] = read_statuses.get(st, 0) + 1
    q = sorted(quiet)
    print(f"flood ({total} correct sign-ins, {at_once} at a time, {len(logins)} account(s)): "
          f"{took:.1f} s, answers {dict(sorted(statuses.items()))}; RSS {before:.0f} MiB before, "
          f"peak {max(peak):.0f} MiB; API reads meanwhile: {len(during)}, statuses {read_statuses}, "
          f"p50 {statistics.median(during) * 1000:.1f} ms, max {during[-1] * 1000:.1f} ms "
          f"(quiet baseline p50 {statistics.median(q) * 1000:.1f} ms, max {q[-1] * 1000:.1f} ms)")


def stop_with_streams(svc, streams=3):
    socks = []
    for _ in range(streams):
        s = socket.create_connection(("127.0.0.1", svc.port))
        s.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {svc.token}\r\n\r\n".encode())
        got = b""
        while b"retry:" not in got:
            chunk = s.recv(4096)
            assert chunk, got
            got += chunk
        socks.append(s)
    t = time.perf_counter()
    svc.proc.terminate(); code = svc.proc.wait(60)
    print(f"stop: SIGTERM with {streams} event streams open: exited {code} after "
          f"{(time.perf_counter() - t) * 1000:.0f} ms")


def main():
    backend = sys.argv[1]
    what = sys.argv[2:] or ["polling", "flood", "stop"]
    svc = Service(backend)
    try:
        for i in range(64):
            svc.cli("account", "create", "--login", f"user{i}", "--name", f"用户{i}", "--role", "viewer",
                    "--password-stdin", stdin=PASSWORD + "\n")
        svc.start()
        seed(svc)
        print(f"backend {backend}, release binary {BIN}")
        if "polling" in what:
            polling(svc)
        if "flood" in what:
            flood(svc, ["user0"])
            # A fresh process (the first flood used up this client's sign-ins).
            svc.proc.terminate(); svc.proc.wait(30)
            svc.cli("migrate")
            subprocess.run(["psql", "-q", svc.env["DATABASE_URL"], "-c", "DELETE FROM sign_in_throttle"]
                           if backend == "postgres" else
                           ["python3", "-c", f"import sqlite3; c=sqlite3.connect('{svc.dir}/bench.db'); "
                            "c.execute('DELETE FROM sign_in_throttle'); c.commit()"], check=True)
            svc.start()
            flood(svc, [f"user{i}" for i in range(64)])
        if "stop" in what:
            stop_with_streams(svc)
    finally:
        svc.stop()


if __name__ == "__main__":
    main()
