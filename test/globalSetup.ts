// Runs once before the suite: makes sure the real components the integration tests start
// themselves are installed. On a fresh machine of this kind (Debian, root) that means
// installing kcat, whose librdkafka mock cluster is the Kafka-protocol broker of the tests.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const KCAT = process.env['KCAT'] ?? '/usr/bin/kcat';

export default function setup(): void {
  if (existsSync(KCAT)) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !existsSync('/usr/bin/apt-get')) {
    throw new Error(`kcat is missing (${KCAT}): install the Debian package 'kcat' (apt-get install kcat) or run .ci/run`);
  }
  process.stderr.write('test setup: installing kcat (Kafka-protocol mock broker for the integration tests)\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'kcat'], { stdio: 'inherit', env });
}
