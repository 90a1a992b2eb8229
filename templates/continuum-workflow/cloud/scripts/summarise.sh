#!/bin/sh
# Cloud step (a container-lambda function): each anonymised file OSCAR puts in the bucket becomes a JSON report,
# readings and mean value per station, and how many rows still hold an e-mail address (0 when the edge did its job).
set -eu
name=$(basename "$INPUT_FILE_PATH" .csv)
echo "summarising $STORAGE_OBJECT_KEY"
awk -F, '
  function json(text) { gsub(/\\/, "\\\\", text); gsub(/"/, "\\\"", text); return "\"" text "\"" }
  NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "station") s = i; if ($i == "value") v = i }; next }
  /@/ { personal++ }
  {
    if (!($s in count)) order[++stations] = $s
    count[$s]++
    sum[$s] += $v
  }
  END {
    printf "{\"source\":%s,\"personal\":%d,\"stations\":[", json(ENVIRON["STORAGE_OBJECT_KEY"]), personal
    for (j = 1; j <= stations; j++) {
      st = order[j]
      printf "%s{\"station\":%s,\"readings\":%d,\"mean\":%.2f}", (j > 1 ? "," : ""), json(st), count[st], sum[st] / count[st]
    }
    print "]}"
  }
' "$INPUT_FILE_PATH" > "$TMP_OUTPUT_DIR/$name.json"
