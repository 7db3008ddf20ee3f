import http.client, sys, time, subprocess, os, re
port=int(sys.argv[1]); pid=int(sys.argv[2])
def rss():
    return int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{pid}/status").read()).group(1))
def scrape():
    c=http.client.HTTPConnection("127.0.0.1",port); c.request("GET","/metrics"); return len(c.getresponse().read())
for _ in range(20): scrape()
b=(scrape(), rss())
for i in range(2000):
    c=http.client.HTTPConnection("127.0.0.1",port); c.request(f"X{i:05d}","/api/v1/incidents"); c.getresponse().read(); c.close()
a=(scrape(), rss())
print(f"scrape bytes {b[0]} -> {a[0]}; RSS KiB {b[1]} -> {a[1]}")
