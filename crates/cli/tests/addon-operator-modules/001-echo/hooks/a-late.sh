#!/bin/sh
# Ordered last (onStartup: 20): needs what the two earlier hooks patched.
if [ "$1" = --config ]; then echo '{"configVersion":"v1","onStartup":20}'; exit 0; fi
grep -q '"early"' "$VALUES_PATH" || { echo "no early value" >&2; exit 1; }
grep -q '"readyPods"' "$VALUES_PATH" || { echo "no readyPods value" >&2; exit 1; }
echo '[{"op":"add","path":"/echo/internal/late","value":true}]' > "$VALUES_JSON_PATCH_PATH"
