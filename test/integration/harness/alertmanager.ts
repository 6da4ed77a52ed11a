import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startReadyProcess } from './readyProcess.js';

/** Path of the Debian `prometheus-alertmanager` binary. */
export const ALERTMANAGER = process.env['ALERTMANAGER'] ?? '/usr/bin/prometheus-alertmanager';

/** An alert as Alertmanager's `GET /api/v2/alerts` lists it. */
export interface AmAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly status: { readonly state: string };
}

/** A running Alertmanager with a private config and storage directory, clustering off. */
export interface AlertmanagerServer {
  readonly url: string;
  /** `GET /api/v2/alerts` (active and resolved alerts it still holds). */
  alerts(): Promise<AmAlert[]>;
  /** Polls the alert list until `predicate` holds; resolves with the list. */
  waitFor(predicate: (alerts: AmAlert[]) => boolean, timeoutMs?: number): Promise<AmAlert[]>;
  stop(): Promise<void>;
}

/** Starts Alertmanager on a free loopback port; every alert goes to a receiver that sends nothing. */
export async function startAlertmanager(): Promise<AlertmanagerServer> {
  const { url, stop } = await startReadyProcess('alertmanager', ALERTMANAGER, async (dir, port) => {
    await writeFile(path.join(dir, 'alertmanager.yml'), ['route:', "  receiver: 'null'", '  group_wait: 0s', 'receivers:', "  - name: 'null'", ''].join('\n'));
    // --cluster.listen-address= turns gossip off (it would take port 9094 and look for peers).
    return [`--config.file=${path.join(dir, 'alertmanager.yml')}`, `--storage.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'];
  });
  const alerts = async (): Promise<AmAlert[]> => (await (await fetch(`${url}/api/v2/alerts`)).json()) as AmAlert[];
  return {
    url,
    alerts,
    async waitFor(predicate, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const list = await alerts();
        if (predicate(list)) return list;
        if (Date.now() > until) throw new Error(`alertmanager: condition not met within ${timeoutMs} ms; alerts: ${JSON.stringify(list).slice(0, 2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop,
  };
}
