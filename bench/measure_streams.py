"""1,000 open /api/v1/events streams against a running service: CPU while idle, and how
long each stream takes to receive an incident logged through the API.

python3 bench/measure_streams.py PORT PID TOKEN [STREAMS]"""
import http.client, json, selectors, socket, sys, time, datetime

port, pid, token = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
tick = 100  # clock ticks per second (getconf CLK_TCK)

def cpu_seconds():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick

def post(path, body):
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("POST", path, body=json.dumps(body),
              headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = c.getresponse(); data = r.read(); c.close()
    return r.status, data

sel = selectors.DefaultSelector()
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, data={"buf": b"", "got": None})
    socks.append(s)

def drain(until, want=None):
    while time.time() < until:
        for key, _ in sel.select(timeout=0.05):
            try:
                chunk = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            st = key.data
            st["buf"] += chunk
            if want and st["got"] is None and want in st["buf"]:
                st["got"] = time.time()
        if want and all(k.data["got"] for k in sel.get_map().values()):
            return

drain(time.time() + 3)  # headers and the first frame
for key in sel.get_map().values():
    if b" 200 " not in key.data["buf"][:20]:
        sys.exit(f"a stream was refused: {key.data['buf'][:80]!r}")
c0, t0 = cpu_seconds(), time.time()
drain(time.time() + 10)
idle = (cpu_seconds() - c0) / (time.time() - t0) * 100
print(f"{n} idle streams: {idle:.1f}% of one core over 10 s")

st, _ = post("/api/v1/units", {"code": "BENCH", "name": "基准单位", "level": "city_bureau"})
lat = []
for round in range(5):
    for key in sel.get_map().values():
        key.data["got"] = None
        key.data["buf"] = b""
    title = f"延迟测量 {round}"
    sent = time.time()
    now = datetime.datetime.now(datetime.timezone.utc)
    st, data = post("/api/v1/incidents", {"title": title, "summary": "s", "source_channel": "weibo",
        "discovered_at": (now - datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "severity": "general", "category": "other", "responsible_units": [{"code": "BENCH"}]})
    assert st == 201, (st, data[:200])
    drain(time.time() + 10, want=title.encode())
    got = [k.data["got"] for k in sel.get_map().values()]
    if not all(got):
        sys.exit(f"only {sum(1 for g in got if g)} of {n} streams got the event")
    lat += [(g - sent) * 1000 for g in got]
    time.sleep(0.5)
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"from sending the POST to each stream receiving it, over 5 events × {n} streams: p50 {p(0.5):.0f} ms, p99 {p(0.99):.0f} ms, max {lat[-1]:.0f} ms")
