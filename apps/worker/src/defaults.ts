// Every default of vae-worker, in one place, with its unit or intent.
export const WORKER_DEFAULTS = Object.freeze({
  coordinator: "ws://127.0.0.1:7070", // the coordinator's URL (ws:// or wss://); /cluster is appended
  backend: "auto", // tfjs backend: auto | tensorflow-gpu | tensorflow | wasm | cpu
  peerPort: 0, // ring data channel port; 0 = any free port
  peerHost: "", // address the peer and metrics servers bind; "" = 127.0.0.1 for a loopback coordinator, else 0.0.0.0
  advertiseHost: "", // address ring neighbours and Prometheus use to reach this worker; "" = the local address of the connection to the coordinator (the interface that routes to the cluster)
  metricsPort: 0, // /metrics port; 0 = any free port, -1 = no metrics server
  reconnectInitialMs: 250, // first reconnect delay after losing the coordinator
  reconnectMaxMs: 10_000, // cap of the exponential backoff (plus up to 50% jitter)
  reconnectGiveUpMs: 0, // stop retrying after this long without a coordinator; 0 = never
  heartbeatIntervalMs: 2_000, // ping period to the coordinator (a frozen coordinator is noticed)
  heartbeatTimeoutMs: 10_000,
});
