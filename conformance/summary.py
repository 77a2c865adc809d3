"""Folds the suites' JUnit XML files into one table, applies known_gaps.txt and prints the
closing `N passed, M failed` line. Exit status 1 when any case failed, else 0.

usage: summary.py RESULTS_DIR KNOWN_GAPS SUITE...

For each SUITE, RESULTS_DIR holds SUITE.xml (JUnit, from pytest or node --test), or SUITE.skip
(the suite was skipped by its SKIP_* variable; the file holds the reason), or neither (the
suite crashed before writing its report: one failure). RESULTS_DIR/versions.txt has lines
`SUITE<TAB>client version` for the table.

known_gaps.txt: one `<suite>::<case> <reason>` a line (`#` comments, blank lines). A case listed
there that fails is reported as a known gap (counted as skipped, reason printed); one that
passes is reported so that its line can be deleted. `<case>` may end in `*` to match a prefix.
"""

import os
import sys
import xml.etree.ElementTree as ET

# Worst wins when a case appears twice (pytest reports a teardown error as a second entry).
RANK = {"passed": 0, "skipped": 1, "failed": 2}


def read_gaps(path):
    gaps = {}
    if not os.path.exists(path):
        return gaps
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            ident, _, reason = line.partition(" ")
            if "::" not in ident or not reason.strip():
                sys.exit(f"{path}:{n}: want `<suite>::<case> <reason>`, got {line!r}")
            gaps[ident] = reason.strip()
    return gaps


def gap_for(ident, gaps):
    if ident in gaps:
        return ident
    for g in gaps:
        if g.endswith("*") and ident.startswith(g[:-1]):
            return g
    return None


def one_line(text, limit=300):
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_junit(path):
    """{case: (status, message)} in file order."""
    cases = {}
    root = ET.parse(path).getroot()
    for tc in root.iter("testcase"):
        name = tc.get("name", "?")
        if name.startswith("test_"):
            name = name[len("test_") :]
        status, msg = "passed", ""
        for child in tc:
            if child.tag in ("failure", "error"):
                status = "failed"
                msg = child.get("message") or (child.text or "").strip().splitlines()[-1:] or ""
                if isinstance(msg, list):
                    msg = msg[0] if msg else ""
                if child.tag == "error" and "teardown" in (child.get("message") or ""):
                    msg = "teardown: " + msg
                break
            if child.tag == "skipped":
                status, msg = "skipped", child.get("message") or (child.text or "")
        old = cases.get(name)
        if old is None or RANK[status] > RANK[old[0]]:
            cases[name] = (status, one_line(msg))
    return cases


def main():
    results, gaps_path, suites = sys.argv[1], sys.argv[2], sys.argv[3:]
    gaps = read_gaps(gaps_path)
    versions = {}
    vpath = os.path.join(results, "versions.txt")
    if os.path.exists(vpath):
        with open(vpath, encoding="utf-8") as f:
            for line in f:
                if "\t" in line:
                    s, v = line.rstrip("\n").split("\t", 1)
                    versions[s] = v
    rows, failures, known, skips, fixed = [], [], [], [], []
    used_gaps = set()
    ran_suites = set()
    for suite in suites:
        label = f"{suite} ({versions[suite]})" if suite in versions else suite
        xml_path = os.path.join(results, f"{suite}.xml")
        skip_path = os.path.join(results, f"{suite}.skip")
        if os.path.exists(skip_path):
            with open(skip_path, encoding="utf-8") as f:
                rows.append((label, 0, 0, 0, 0, "suite skipped: " + one_line(f.read(), 60)))
            continue
        if not os.path.exists(xml_path):
            failures.append((f"{suite}::<suite>", f"no report: the suite crashed (see .results/{suite}.log)"))
            rows.append((label, 1, 0, 1, 0, "crashed"))
            continue
        ran_suites.add(suite)
        try:
            cases = read_junit(xml_path)
        except ET.ParseError as e:
            failures.append((f"{suite}::<suite>", f"unreadable report {xml_path}: {e}"))
            rows.append((label, 1, 0, 1, 0, "crashed"))
            continue
        passed = failed = skipped = gapped = 0
        for case, (status, msg) in cases.items():
            ident = f"{suite}::{case}"
            g = gap_for(ident, gaps)
            if g:
                used_gaps.add(g)
            if status == "passed":
                passed += 1
                if g and not g.endswith("*"):
                    fixed.append(ident)
            elif status == "skipped":
                skipped += 1
                skips.append((ident, msg))
            elif g:
                skipped += 1
                gapped += 1
                known.append((ident, gaps[g], msg))
            else:
                failed += 1
                failures.append((ident, msg))
        note = f"{gapped} known gaps" if gapped else ""
        rows.append((label, len(cases), passed, failed, skipped, note))

    w = max([len("client")] + [len(r[0]) for r in rows])
    print()
    print(f"{'client':<{w}}  {'cases':>5}  {'passed':>6}  {'failed':>6}  {'skipped':>7}  note")
    print(f"{'-' * w}  -----  ------  ------  -------  ----")
    for label, n, p, fl, sk, note in rows:
        print(f"{label:<{w}}  {n:>5}  {p:>6}  {fl:>6}  {sk:>7}  {note}")
    tot = [sum(r[i] for r in rows) for i in (1, 2, 3, 4)]
    print(f"{'total':<{w}}  {tot[0]:>5}  {tot[1]:>6}  {tot[2]:>6}  {tot[3]:>7}")
    if known:
        print(f"\nKnown gaps ({len(known)}, counted as skipped; delete the line in known_gaps.txt when the feature lands):")
        for ident, reason, msg in known:
            print(f"  {ident}: {reason}\n      got: {msg}")
    if skips:
        print(f"\nSkipped ({len(skips)}):")
        for ident, msg in skips:
            print(f"  {ident}: {msg}")
    if fixed:
        print(f"\nListed in known_gaps.txt but passed now ({len(fixed)}): delete their lines:")
        for ident in fixed:
            print(f"  {ident}")
    stale = [g for g in gaps if g not in used_gaps and g.split("::", 1)[0] in ran_suites]
    if stale:
        print(f"\nknown_gaps.txt lines that match no case of a suite that ran ({len(stale)}):")
        for g in stale:
            print(f"  {g}")
    if failures:
        print(f"\nFailed ({len(failures)}):")
        for ident, msg in failures:
            print(f"  {ident}: {msg}")
    print(f"\n{tot[1]} passed, {tot[2]} failed")
    return 1 if tot[2] else 0


if __name__ == "__main__":
    sys.exit(main())
