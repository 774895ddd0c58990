#!/usr/bin/env python3
"""bench/run.sh: fetches GET /v1/registrations/{id}/ticket for each
registration id on stdin and prints the ticket tokens, one a line, in the
same order. Usage: tickets.py HOST PORT ACCESS_TOKEN [THREADS]"""
import http.client
import json
import sys
import threading

host, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
nthreads = int(sys.argv[4]) if len(sys.argv) > 4 else 4
ids = [l.strip() for l in sys.stdin if l.strip()]
out = [None] * len(ids)
errors = []


def work(part):
    c = http.client.HTTPConnection(host, port, timeout=30)
    h = {"Authorization": "Bearer " + token}
    for i in part:
        c.request("GET", "/v1/registrations/%s/ticket" % ids[i], headers=h)
        r = c.getresponse()
        body = r.read()
        if r.status != 200:
            errors.append("%s: HTTP %d" % (ids[i], r.status))
            return
        out[i] = json.loads(body)["token"]


ts = [threading.Thread(target=work, args=(range(t, len(ids), nthreads),))
      for t in range(nthreads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
if errors or any(v is None for v in out):
    sys.exit("tickets.py: " + (errors[0] if errors else "missing tickets"))
sys.stdout.write("".join(v + "\n" for v in out))
