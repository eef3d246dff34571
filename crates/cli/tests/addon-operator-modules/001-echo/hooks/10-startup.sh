#!/bin/sh
# Counts up from what the values say: shows the patch of one hook reaching the next.
if [ "$1" = --config ]; then echo '{"configVersion":"v1","onStartup":10}'; exit 0; fi
echo '[{"op":"add","path":"/echo/internal","value":{"readyPods":1}}]' > "$VALUES_JSON_PATCH_PATH"
