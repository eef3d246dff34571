#!/bin/sh
# Named last, ordered first (onStartup: 5).
if [ "$1" = --config ]; then echo '{"configVersion":"v1","onStartup":5}'; exit 0; fi
echo '[{"op":"add","path":"/echo/early","value":true}]' > "$VALUES_JSON_PATCH_PATH"
