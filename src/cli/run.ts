import type { Config } from '../config/schema.js';
import { startDaemon } from '../daemon.js';
import { createLogger } from '../runtime/logger.js';

/**
 * `promptpilot run`: starts the daemon and waits for SIGTERM/SIGINT, then
 * drains and exits 0. A second signal during the drain exits at once (130).
 * SIGHUP is logged and ignored (Node's default for it is to exit without a
 * drain, losing in-flight work); reloading the config on it comes later.
 * When the daemon fails for good (its Kafka consumer crashed and could not be
 * restarted) it drains the same way and exits 1, so that the process
 * supervisor (systemd, Kubernetes) restarts it rather than leaving a process
 * that answers HTTP with a dead consumer.
 */
export async function runDaemon(config: Config): Promise<number> {
  const log = createLogger(config);
  const onHangup = (): void => log.warn({ signal: 'SIGHUP' }, 'SIGHUP received: config reload is not supported yet; still running on the config loaded at start');
  process.on('SIGHUP', onHangup);
  const daemon = await startDaemon(config, { logger: log });
  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stopWith = (code: number): void => {
      if (stopping) return;
      stopping = true;
      daemon.stop().then(
        () => resolve(code),
        () => resolve(1),
      );
    };
    const onSignal = (): void => {
      if (stopping) {
        process.exit(130);
      }
      stopWith(0);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    void daemon.failure.then((err) => {
      process.stderr.write(`promptpilot: ${err.message}; exiting so the supervisor restarts the process\n`);
      stopWith(1);
    });
  });
}
