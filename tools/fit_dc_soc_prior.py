#!/usr/bin/python3
"""Fits the DC arrival/departure SoC prior of the SoC reconstruction (src/analysis/sorc.cpp, kDcSocLogDensity).

Source: the EPFL Level-3 sessions (../shared/data/epfl-l3/Session_data.derived.csv: SOC arrival, SOC departure).
Fit on the older half of the sessions (by arrival time); bench/sorc.cpp evaluates the generated DC sessions on the
newer half (--dc-holdout 1). Output: the C++ table (log of a Gaussian-kernel density, bandwidth 5 SoC points, on a
5-point grid of arrival x departure, 0..100, normalised to a maximum of 0, floored at -12) and the split time.

Usage: /usr/bin/python3 tools/fit_dc_soc_prior.py [DATA_DIR]
"""
import calendar
import csv
import math
import sys
import time

data_dir = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"
rows = []
with open(data_dir + "/epfl-l3/Session_data.derived.csv", newline="") as f:
    for r in csv.DictReader(f):
        try:
            a = float(r["SOC arrival"])
            d = float(r["SOC departure"])
            e = float(r["Energy (Wh)"])
            t = calendar.timegm(time.strptime(r["Arrival"], "%Y-%m-%d %H:%M:%S"))
        except (ValueError, KeyError):
            continue
        if e <= 0 or not (0 <= a <= d <= 100):
            continue
        rows.append((t, a, d))
rows.sort()
half = len(rows) // 2
fit = rows[:half]
split = rows[half][0]
bw = 5.0
grid = list(range(0, 101, 5))
dens = [[sum(math.exp(-0.5 * (((s - a) / bw) ** 2 + ((x - d) / bw) ** 2)) for _, a, d in fit) for x in grid]
        for s in grid]
top = max(max(row) for row in dens)
print(f"// {len(fit)} of {len(rows)} EPFL sessions, arrivals before {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(split))} UTC"
      f" (epoch ms {split * 1000})")
print("// rows: arrival SoC 0, 5, ..., 100; columns: departure SoC 0, 5, ..., 100")
for row in dens:
    vals = [max(-12.0, math.log(v / top)) if v > 0 else -12.0 for v in row]
    print("{" + ", ".join(f"{v:.2f}" for v in vals) + "},")
