#!/usr/bin/env python3
"""Prints the totals of every test project and each failed test with its message and where in our code it
failed (the stack frames in DataHub's own files), from the .trx files."""
import glob
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
folder = sys.argv[1] if len(sys.argv) > 1 else "artifacts/test-results"
total = passed = 0
failures = []
for path in sorted(glob.glob(f"{folder}/*.trx")):
    root = ET.parse(path).getroot()
    counters = root.find("t:ResultSummary/t:Counters", NS)
    if counters is not None:
        total += int(counters.get("total", 0))
        passed += int(counters.get("passed", 0))
    for result in root.iterfind("t:Results/t:UnitTestResult", NS):
        if result.get("outcome") == "Failed":
            message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=NS)
            stack = result.findtext("t:Output/t:ErrorInfo/t:StackTrace", default="", namespaces=NS)
            # Frames of the test framework and libraries say nothing about which step failed; ours do.
            ours = [line.strip() for line in stack.splitlines() if " in /" in line and "/DataHub" in line]
            failures.append((result.get("testName"), message.strip(), ours))
print(f"== test summary: {passed} of {total} passed, {len(failures)} failed")
for name, message, ours in failures:
    print(f"FAILED {name}\n  " + "\n  ".join(message.splitlines()[:40]))
    for frame in ours[:10]:
        print(f"    {frame}")
