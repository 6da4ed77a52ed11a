// Runs once before the suite: makes sure the real components the integration tests start
// themselves are installed. On a fresh machine of this kind (Debian, root) that means
// installing kcat, whose librdkafka mock cluster is the Kafka-protocol broker of the tests,
// prometheus (with promtool), which scrapes the daemon's /metrics, chromium, which loads the
// dashboard and the report, prometheus-alertmanager, which receives alerts, and redis-server for the Redis adapters.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const KCAT = process.env['KCAT'] ?? '/usr/bin/kcat';
const PROMETHEUS = process.env['PROMETHEUS'] ?? '/usr/bin/prometheus';
const PROMTOOL = process.env['PROMTOOL'] ?? '/usr/bin/promtool';
const ALERTMANAGER = process.env['ALERTMANAGER'] ?? '/usr/bin/prometheus-alertmanager';
const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
const REDIS_SERVER = process.env['REDIS_SERVER'] ?? '/usr/bin/redis-server';

/** Debian packages to install: each binary that is missing, with the package providing it. */
const NEEDED: readonly { readonly binary: string; readonly pkg: string; readonly why: string }[] = [
  { binary: KCAT, pkg: 'kcat', why: 'Kafka-protocol mock broker' },
  { binary: PROMETHEUS, pkg: 'prometheus', why: 'scrapes /metrics in the self-telemetry test' },
  { binary: PROMTOOL, pkg: 'prometheus', why: 'lints the /metrics exposition' },
  { binary: ALERTMANAGER, pkg: 'prometheus-alertmanager', why: 'receives the alerts in the Alertmanager test' },
  { binary: CHROMIUM, pkg: 'chromium', why: 'headless browser of the dashboard and report tests' },
  { binary: REDIS_SERVER, pkg: 'redis-server', why: 'the Redis state store and decision log tests start their own server' },
];

export default function setup(): void {
  const missing = NEEDED.filter((n) => !existsSync(n.binary));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((m) => m.pkg))];
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !existsSync('/usr/bin/apt-get')) {
    const list = missing.map((m) => `${m.binary} (Debian package '${m.pkg}': ${m.why})`).join(', ');
    throw new Error(`missing: ${list}; install with apt-get install ${packages.join(' ')} or run .ci/run`);
  }
  process.stderr.write(`test setup: installing ${packages.join(', ')} (${missing.map((m) => m.why).join('; ')})\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
}
