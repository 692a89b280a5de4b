#!/bin/sh
# Container entry point: the first argument picks the program, the rest are its flags.
#   coordinator --workers 2 --dataset mnist --port 7070 --host 0.0.0.0
#   worker --coordinator ws://vae-coordinator:7070 --backend auto --advertise-host "$POD_IP"
#   vae sample --checkpoint runs/<run>/checkpoints/latest --out runs/samples.png
set -eu
role="${1:-}"
[ "$#" -gt 0 ] && shift
case "$role" in
  coordinator) exec node /app/apps/coordinator/bin/vae-coordinator.mjs "$@" ;;
  worker) exec node /app/apps/worker/bin/vae-worker.mjs "$@" ;;
  vae) exec node /app/apps/vae/bin/vae.mjs "$@" ;;
  sh | bash | node | npm | npx) exec "$role" "$@" ;;
  *)
    echo "entrypoint: first argument must be coordinator, worker or vae (or sh/node for debugging), got '$role'" >&2
    exit 64
    ;;
esac
