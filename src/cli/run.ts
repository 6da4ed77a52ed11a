import type { Config } from '../config/schema.js';
import { startDaemon } from '../daemon.js';

/**
 * `promptpilot run`: starts the daemon and waits for SIGTERM/SIGINT, then
 * drains and exits 0. A second signal during the drain exits at once (130).
 */
export async function runDaemon(config: Config): Promise<number> {
  const daemon = await startDaemon(config);
  return await new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (): void => {
      if (stopping) {
        process.exit(130);
      }
      stopping = true;
      daemon.stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
