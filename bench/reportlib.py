"""reportlib.py - what the reports of bench/exim.sh, bench/policy.sh and
bench/postfix.sh share: reading a run's raw lines, medians and ratios,
the machine table and the check column.

The scripts write their report with an embedded Python program run by
bench/lib.sh's bench_py (bench/ on the module path), which imports this:

    M = machine(PATH)           machine.txt (NAME=VALUE lines) as a dict
    runs, other = results(PATH) results.txt: the RUN lines as dicts of
                                their NAME=VALUE pairs; the text after
                                the first word of every other line, by
                                that word (other["DETAIL"], "E2E", ...)
    med(xs)                     the median, nan for none
    num(x)                      rounded, with thousands separators
    summary(runs, RATE)         what every table row has (n, ok, fails,
                                rate, lo, hi, p50, p99) of these runs
    per_round(runs, KEY, names, RATE)
                                each name's RATE over names[0]'s in the
                                same round: {name: (median, [ratios])}
    check_cell(row, OK_TEXT)    the check column, and whether INVALID
    machine_table(M, fields)    the | | | table of (key, label) pairs
    code_block(lines)           lines as a fenced block
"""
import re
import statistics


def machine(path):
    return dict(l.rstrip("\n").split("=", 1) for l in open(path) if "=" in l)


def results(path):
    runs, other = [], {}
    for line in open(path):
        if line.startswith("RUN "):
            runs.append(dict(re.findall(r"(\w+)=(\S+)", line)))
        elif " " in line:
            tag, rest = line.split(" ", 1)
            other.setdefault(tag, []).append(rest.strip())
    return runs, other


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def num(x):
    return format(round(x), ",")


def summary(x, rate):
    """x: the RUN lines of one configuration; rate: its throughput key"""
    def f(k):
        return [float(r[k]) for r in x if k in r]
    return dict(n=len(x), ok=sum(r["check"] == "ok" for r in x),
                fails=sorted({r["check"] for r in x} - {"ok"}),
                rate=med(f(rate)), lo=min(f(rate) or [0]), hi=max(f(rate) or [0]),
                p50=med(f("lat_p50_ms")), p99=med(f("lat_p99_ms")))


def per_round(runs, key, names, rate):
    """the ratio to the baseline within each round (the same background
    load), then the median of those"""
    by_round = {}
    for r in runs:
        by_round.setdefault(r["round"], {})[r[key]] = float(r.get(rate, "nan"))
    b = names[0]
    out = {}
    for s in names:
        rs = [v[s] / v[b] for v in by_round.values() if s in v and b in v and v[b] > 0]
        out[s] = (med(rs), rs)
    return out


def check_cell(w, ok_text):
    """(text, invalid) for a row of summary(): valid when it had runs and
    every one passed its check"""
    if w["ok"] == w["n"] and w["n"] > 0:
        return "%d/%d runs: %s" % (w["ok"], w["n"], ok_text), False
    return "**INVALID**: %d/%d runs failed (%s)" % (w["n"] - w["ok"], w["n"],
                                                    "; ".join(w["fails"])), True


def machine_table(M, fields):
    print("| | |")
    print("|---|---|")
    for k, lab in fields:
        print("| %s | %s |" % (lab, M.get(k, "")))
    print()


def code_block(lines):
    print("```")
    print("\n".join(lines))
    print("```")
    print()
