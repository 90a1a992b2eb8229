#!/bin/sh
# Edge step (an OSCAR service): sensor readings lose their personal data before they leave the premises. OSCAR's
# supervisor downloads the uploaded file to INPUT_FILE_PATH and uploads whatever lands in TMP_OUTPUT_DIR.
set -eu
name=$(basename "$INPUT_FILE_PATH")
echo "anonymising $STORAGE_OBJECT_KEY (column $DROP_COLUMN)"
# The column named DROP_COLUMN is blanked, and any e-mail address left elsewhere too. ENVIRON, not awk -v:
# a value is never read as escapes.
awk -F, -v OFS=, '
  NR == 1 { for (i = 1; i <= NF; i++) if ($i == ENVIRON["DROP_COLUMN"]) drop = i; print; next }
  drop { $drop = "redacted" }
  { print }
' "$INPUT_FILE_PATH" | sed -E 's/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]+/redacted/g' > "$TMP_OUTPUT_DIR/$name"
