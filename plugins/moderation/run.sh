#!/bin/sh
# Starts the plugin's Swift executable: the one beside the running parley (PARLEY_BIN_DIR, set by
# Parley), else a build in this checkout.
for dir in "${PARLEY_BIN_DIR:-}" ../../.build/release ../../.build/debug; do
  if [ -n "$dir" ] && [ -x "$dir/parley-moderation" ]; then exec "$dir/parley-moderation"; fi
done
echo "parley-moderation is not built: run swift build (or swift build -c release) in the Parley checkout" >&2
exit 1
