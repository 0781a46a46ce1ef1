"""Scores a `npm run bench:nab -- --out DIR` directory with NAB's own Sweeper, read from a NAB checkout.

    python3 scripts/bench/nab-crosscheck.py NAB_CHECKOUT CORPUS_ROOT OUT_DIR

Uses nab/sweeper.py from NAB_CHECKOUT as is (only the standard library is needed; no NAB code is kept in
this repository), the windows and profiles of CORPUS_ROOT (e.g. ../shared/nab), optimises the threshold over
the whole corpus per profile and normalises against the never-firing and perfect detectors, as NAB does.
"""
import csv
import datetime
import json
import sys

nab_checkout, root, out = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, nab_checkout + '/nab')
from sweeper import Sweeper  # noqa: E402  (NAB's module, from the checkout)


def parse(s):
    return datetime.datetime.strptime(s[:19], '%Y-%m-%d %H:%M:%S')


windows = json.load(open(root + '/labels/combined_windows.json'))
profiles = json.load(open(root + '/profiles.json'))
files = {}
for name, wins in windows.items():
    rows = list(csv.DictReader(open(out + '/' + name)))
    files[name] = ([parse(r['timestamp']) for r in rows], [float(r['anomaly_score']) for r in rows],
                   [(parse(a), parse(b)) for a, b in wins])
for pname, p in profiles.items():
    sweeper = Sweeper(probationPercent=0.15, costMatrix=p['CostMatrix'])
    rows = []
    for name, (ts, scores, wins) in files.items():
        rows.extend(sweeper.calcSweepScore(ts, scores, wins, name))
    best = sorted(sweeper.calcScoreByThreshold(rows), key=lambda x: x.score, reverse=True)[0]
    scorable = len({r.windowName for r in rows if r.windowName not in (None, 'probationary')})
    null = -p['CostMatrix']['fnWeight'] * scorable
    perfect = p['CostMatrix']['tpWeight'] * sum(len(w) for w in windows.values())
    print('%s %.2f (threshold %.3f)' % (pname, 100 * (best.score - null) / (perfect - null), best.threshold))
