#!/usr/bin/env python3
# Word count mapper (Hadoop Streaming), the benchmark's map: `word<TAB>1` per word of each line on stdin.
import re
import sys

for line in sys.stdin:
    for word in re.findall(r"[a-z]+", line.lower()):
        print(f"{word}\t1")
