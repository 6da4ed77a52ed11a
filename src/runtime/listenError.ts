import { ErrorCodes, PromptpilotError, describeError } from '../core/errors.js';

/**
 * The one line a user reads when the HTTP server cannot bind: which address
 * and port, and where to choose another (`server.port` in the `--config` file,
 * or `PROMPTPILOT_PORT`; for the probe port `server.probe_port`). Not retriable: the daemon exits at once instead of
 * running on without its HTTP server.
 */
export function listenError(cause: unknown, host: string, port: number, setting: { readonly key: string; readonly env: string } = { key: 'server.port', env: 'PROMPTPILOT_PORT' }): PromptpilotError {
  const code = (cause as { code?: unknown } | null)?.code;
  const where = `${host}:${port}`;
  const change = `choose another port with ${setting.key} in the --config file or the ${setting.env} environment variable`;
  if (code === 'EADDRINUSE') return new PromptpilotError(ErrorCodes.IO_FATAL, `port ${port} is already in use (${where}): stop the other process or ${change}`, { cause });
  if (code === 'EACCES') return new PromptpilotError(ErrorCodes.IO_FATAL, `not allowed to listen on port ${port} (${where}): ${change} (1024 or above)`, { cause });
  if (code === 'EADDRNOTAVAIL') return new PromptpilotError(ErrorCodes.IO_FATAL, `cannot listen on ${where}: no such local address; set server.host (PROMPTPILOT_HOST) to an address of this machine`, { cause });
  return new PromptpilotError(ErrorCodes.IO_FATAL, `cannot listen on ${where}: ${describeError(cause)}`, { cause });
}
