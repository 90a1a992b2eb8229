#!/bin/sh
# Runs once per uploaded image, as OSCAR's supervisor calls it: read INPUT_FILE_PATH, write to TMP_OUTPUT_DIR.
set -eu
name=$(basename "$INPUT_FILE_PATH")
out="$TMP_OUTPUT_DIR/${name%.*}-gray.png"
if convert -version >/dev/null 2>&1; then
  convert "$INPUT_FILE_PATH" -colorspace Gray -quality "${QUALITY:-85}" "$out"
else
  # Without ImageMagick (a local run on a bare machine), keep the pipeline visible with a plain copy.
  cp "$INPUT_FILE_PATH" "$out"
fi
echo "wrote $(basename "$out")"
