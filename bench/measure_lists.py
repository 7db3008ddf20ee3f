import http.client, json, sys, re, datetime
port=int(sys.argv[1]); pid=int(sys.argv[2]); token=sys.argv[3]
def rss(): return int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{pid}/status").read()).group(1))
def req(method, path, body=None):
    c=http.client.HTTPConnection("127.0.0.1",port)
    h={"Authorization":"Bearer "+token}
    if body is not None: h["Content-Type"]="application/json"
    c.request(method,path,body=json.dumps(body) if body is not None else None,headers=h)
    r=c.getresponse(); data=r.read(); c.close(); return r.status,data
st,_=req("POST","/api/v1/units",{"code":"4401","name":"广州市税务局","level":"city_bureau"}); assert st==201,st
now=datetime.datetime.now(datetime.timezone.utc)
for i in range(200):
    st,d=req("POST","/api/v1/incidents",{"title":f"舆情 {i}","summary":"摘"*5000,"source_channel":"weibo",
      "discovered_at":(now-datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),"severity":"general","category":"other",
      "responsible_units":[{"code":"4401"}]})
    assert st==201,(st,d[:200])
for _ in range(5): req("GET","/api/v1/incidents?limit=200")
before=rss()
for i in range(400):
    since=(now-datetime.timedelta(days=1,seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    st,_=req("GET",f"/api/v1/incidents?limit=200&updated_since={since}"); assert st==200
mid=rss()
for i in range(400):
    st,_=req("GET",f"/api/v1/incidents?limit=200&q=%E8%88%86%E6%83%85%20{i}"); assert st==200
after=rss()
print(f"RSS KiB: before {before}, after 400 updated_since pages {mid}, after 400 searches {after}")
