import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { reloadVerdict } from '../config/configDiff.js';
import type { Config } from '../config/schema.js';
import type { ConfigRecord } from '../core/decision.js';
import { describeError } from '../core/errors.js';
import type { Clock } from '../ports/ports.js';
import type { Logger } from './logger.js';

/** Options of {@link ConfigReloader}. */
export interface ConfigReloaderOptions {
  /** The config file (`--config` / PROMPTPILOT_CONFIG); undefined: embedded defaults plus the environment. */
  readonly file: string | undefined;
  /** Reads, overrides from the environment and validates; throws a path-qualified error. */
  readonly load: (file: string | undefined) => Promise<Config>;
  /**
   * Swaps to `next` and records `record` — serialized with the event stream,
   * so no event is processed half under the old and half under the new config.
   */
  readonly apply: (next: Config, record: ConfigRecord) => Promise<void>;
  /** Records a refused reload (the running config stays). */
  readonly refuse: (record: ConfigRecord) => Promise<void>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Quiet time after a file event before reloading (editors write in several steps), ms (default 250). */
  readonly debounceMs?: number;
  /** This instance's id, named in every record (several instances share one decision log through Redis). */
  readonly instance?: string;
}

/**
 * Hot reload (DESIGN §6): on SIGHUP or a change of the config file, load and
 * validate the file, then swap atomically or refuse; both outcomes are
 * `config` decision records naming what changed or what was wrong. Reloads
 * run one at a time; a file event while one runs schedules another.
 */
export class ConfigReloader {
  private current: Config;
  private queue: Promise<unknown> = Promise.resolve();
  private watcher: FSWatcher | null = null;
  private debounce: ReturnType<typeof setTimeout> | null = null;
  private lastText: string | null = null;

  constructor(initial: Config, private readonly options: ConfigReloaderOptions) {
    this.current = initial;
  }

  /** The configuration in force. */
  get config(): Config {
    return this.current;
  }

  /** Reloads now (`trigger` names why, e.g. `SIGHUP`); resolves with the record written. */
  reload(trigger: string): Promise<ConfigRecord> {
    const run = this.queue.then(() => this.reloadOnce(trigger));
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * Watches the file's directory (editors and Kubernetes ConfigMaps replace
   * the file rather than write it) and reloads when its content changed.
   */
  async watch(): Promise<void> {
    const file = this.options.file;
    if (file === undefined || this.watcher !== null) return;
    this.lastText = await readFile(file, 'utf8').catch(() => null);
    const name = basename(file);
    try {
      this.watcher = watch(dirname(file), (_event, changed) => {
        if (changed !== null && changed !== name) return;
        if (this.debounce !== null) clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.onFileEvent(file), this.options.debounceMs ?? 250);
        this.debounce.unref();
      });
      this.watcher.on('error', (err) => this.options.logger.warn({ err, file }, 'config file watch failed; SIGHUP still reloads'));
      this.watcher.unref();
    } catch (err) {
      this.options.logger.warn({ err, file }, 'cannot watch the config file; SIGHUP still reloads');
    }
  }

  /** Stops watching; waits for a reload in progress. */
  async close(): Promise<void> {
    this.watcher?.close();
    this.watcher = null;
    if (this.debounce !== null) clearTimeout(this.debounce);
    await this.queue;
  }

  private async onFileEvent(file: string): Promise<void> {
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text === null || text === this.lastText) return; // gone mid-replace, touched without a change, or reloaded already
    await this.reload('file change').catch((err: unknown) => this.options.logger.error({ err }, 'config reload failed'));
  }

  private async reloadOnce(trigger: string): Promise<ConfigRecord> {
    const source = this.options.file ?? 'environment';
    const record = (status: ConfigRecord['status'], reason: string, changed?: readonly string[]): ConfigRecord => ({
      type: 'config', ts: this.options.clock.now(), status, source, ...(this.options.instance === undefined ? {} : { instance: this.options.instance }), reason: `${reason} (${trigger})`, ...(changed === undefined ? {} : { changed }),
    });
    // What this reload reads is what the watcher compares later events against: a SIGHUP after an
    // edit and the edit's own file event make one record, not two.
    if (this.options.file !== undefined) this.lastText = await readFile(this.options.file, 'utf8').catch(() => null);
    let next: Config;
    try {
      next = await this.options.load(this.options.file);
    } catch (err) {
      const refused = record('rejected', `invalid config, the running one stays: ${describeError(err)}`);
      await this.options.refuse(refused);
      this.options.logger.warn({ source, reason: refused.reason }, 'config reload refused');
      return refused;
    }
    const verdict = reloadVerdict(this.current, next);
    if (verdict.kind === 'refuse') {
      const refused = record('rejected', `${verdict.restartOnly.join(', ')} cannot change while running (restart to apply); nothing applied`, verdict.changed);
      await this.options.refuse(refused);
      this.options.logger.warn({ source, reason: refused.reason }, 'config reload refused');
      return refused;
    }
    const applied = record('applied', verdict.changed.length === 0 ? 'no change' : `changed: ${verdict.changed.join(', ')}`, verdict.changed);
    await this.options.apply(next, applied);
    this.current = next;
    this.options.logger.info({ source, changed: verdict.changed }, 'config reloaded');
    return applied;
  }
}
