/** `serve` flags every test wants: loopback only, and ports the system picks. */
export const LOOPBACK_SERVE_FLAGS: readonly string[] = [
  '--address',
  '127.0.0.1',
  '--port',
  '0',
  '--metrics-port',
  '0',
];
