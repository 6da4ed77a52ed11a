import type { Config } from '../config/schema.js';
import { startDaemon, type Daemon } from '../daemon.js';
import { createLogger } from '../runtime/logger.js';
import { SecretRedactor, secretsOf } from '../runtime/secrets.js';
import type { HangupHold } from './hangupHold.js';
import { HEAP_DERIVED_ENV } from './heapLimit.js';

/**
 * `promptpilot run`: starts the daemon and waits for SIGTERM/SIGINT, then
 * drains and exits 0. A second signal during the drain exits at once (130).
 * SIGHUP reloads the config (the file given, or PROMPTPILOT_CONFIG): applied
 * between two pipeline steps, or refused with the running config kept — either
 * way a `config` decision record (Node's default for SIGHUP, exiting without a
 * drain, is replaced from the start: `hangups` held those that came before, and
 * one that comes while the daemon starts reloads once it runs).
 * When the daemon fails for good (its Kafka consumer crashed and could not be
 * restarted) it drains the same way and exits 1, so that the process
 * supervisor (systemd, Kubernetes) restarts it rather than leaving a process
 * that answers HTTP with a dead consumer.
 */
export async function runDaemon(config: Config, configFile: string | undefined, hangups: HangupHold): Promise<number> {
  const redactor = new SecretRedactor(secretsOf(config));
  const log = createLogger(config, process.stdout, redactor);
  let daemon: Daemon | null = null;
  let reloadWhenStarted = false;
  const onHangup = (): void => {
    if (daemon === null) {
      if (!reloadWhenStarted) log.info({ signal: 'SIGHUP' }, 'SIGHUP received while starting: the config is reloaded once the daemon runs');
      reloadWhenStarted = true;
      return;
    }
    log.info({ signal: 'SIGHUP' }, 'SIGHUP received: reloading the config');
    daemon.reload('SIGHUP').catch((err: unknown) => log.error({ err }, 'config reload failed'));
  };
  process.on('SIGHUP', onHangup);
  if (hangups.release() > 0) onHangup();
  const started = await startDaemon(config, { logger: log, redactor, ...(configFile === undefined ? {} : { configFile }) });
  daemon = started;
  // A reload asked for while starting may have come after the config was read: it is done now, not dropped.
  if (reloadWhenStarted) onHangup();
  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stopWith = (code: number): void => {
      if (stopping) return;
      stopping = true;
      started.stop().then(
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
    // Re-executed with a heap limit (cli/heapLimit.ts): the parent's death closes the IPC channel; drain then. A parent
    // that died while this daemon started closed it already, and no event will come: the daemon was left running
    // without a parent (its port held, nothing to stop it but a signal of its own).
    if (process.connected) {
      process.channel?.unref();
      process.once('disconnect', () => stopWith(0));
    } else if (process.env[HEAP_DERIVED_ENV] !== undefined) {
      log.warn('the parent process ended while the daemon started: draining and exiting');
      stopWith(0);
    }
    void started.failure.then((err) => {
      process.stderr.write(`promptpilot: ${err.message}; exiting so the supervisor restarts the process\n`);
      stopWith(1);
    });
  });
}
