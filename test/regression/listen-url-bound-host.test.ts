// Regression (found starting the daemon as a new user with PROMPTPILOT_HOST): the "promptpilot listening" line (and
// Daemon.url) said http://127.0.0.1:PORT whatever the daemon bound. Bound to one interface (::1, 10.0.0.5) that URL
// was refused; bound to every interface the line did not show it. The URL now reaches the bound address, and the
// line names the host.
import { describe, expect, it } from 'vitest';
import { urlHost } from '../../src/runtime/bindHost.js';
import { startTestDaemon } from '../helpers/daemon.js';

describe('the URL the daemon says it listens on', () => {
  it('reaches it when bound to IPv6 loopback only', async () => {
    const { daemon } = await startTestDaemon({ server: { host: '::1' } });
    try {
      expect(daemon.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
      expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);
    } finally {
      await daemon.stop();
    }
  });

  it('is loopback for the wildcard addresses, the address itself otherwise', () => {
    expect(urlHost('0.0.0.0')).toBe('127.0.0.1');
    expect(urlHost('::')).toBe('127.0.0.1');
    expect(urlHost('127.0.0.1')).toBe('127.0.0.1');
    expect(urlHost('10.0.0.5')).toBe('10.0.0.5');
    expect(urlHost('fe80::1')).toBe('[fe80::1]');
  });
});
