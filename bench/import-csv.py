#!/usr/bin/env python3
"""Writes a registrations import file of N rows (default 5000) to stdout:
(import-csv.py [N [SEED]]: another SEED makes other people)
Thai headers, a BOM, CRLF, quoted cells, checksummed national ids and
places by Thai name, as a provincial office exports from a spreadsheet.
Deterministic, so two runs import the same people."""
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 2563)
first = ["สมชาย", "สมหญิง", "ประยุทธ", "มาลี", "บุญมี", "สุนทร", "วันเพ็ญ", "ทองคำ"]
last = ["ใจดี", "รักงาน", "มีสุข", "ศรีสวัสดิ์", "บุญมา", "แก้วมณี", "ทองดี"]
groups = ["อาสาสมัครแรงงาน (อสร.)", "labour_volunteer", "informal_worker", "แรงงานนอกระบบ"]


def national_id():
    d = [rnd.randint(1, 8)] + [rnd.randint(0, 9) for _ in range(11)]
    s = sum(d[i] * (13 - i) for i in range(12))
    d.append((11 - s % 11) % 10)
    return "".join(map(str, d))


out = sys.stdout.buffer
out.write("\ufeffคำนำหน้า,ชื่อ,นามสกุล,เลขประจำตัวประชาชน,โทรศัพท์,ตำบล,อำเภอ,จังหวัด,กลุ่มเป้าหมาย\r\n".encode())
seen = set()
while len(seen) < n:
    nid = national_id()
    if nid in seen:
        continue
    seen.add(nid)
    row = ["นาย", rnd.choice(first), '"%s, %d"' % (rnd.choice(last), len(seen)),
           nid, "08%08d" % rnd.randint(0, 99999999), "เวียงเหนือ", "เมืองลำปาง",
           "ลำปาง", rnd.choice(groups)]
    out.write((",".join(row) + "\r\n").encode())
