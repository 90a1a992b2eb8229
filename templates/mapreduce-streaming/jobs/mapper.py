#!/usr/bin/env python3
# Word count mapper (Hadoop Streaming): one record per line on stdin, `word<TAB>1` per word on stdout.
import re
import sys

for line in sys.stdin:
    for word in re.findall(r"[a-z]+", line.lower()):
        print(f"{word}\t1")
