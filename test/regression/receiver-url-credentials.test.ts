import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { sendToReceiver } from '../../src/adapters/notify/receiverClient.js';
import { parseConfig } from '../../src/config/load.js';

// A receiver URL with credentials (`https://user:password@alertmanager…`, an Alertmanager behind Basic auth) was
// passed to fetch as it was, and fetch refuses such a URL: every attempt failed before anything was sent ("Request
// cannot be constructed from a URL that includes credentials") until the alert was dead-lettered. The credentials
// now go as HTTP Basic authorization, the request to the URL without them.

describe('a receiver URL with user:password@', () => {
  it('is sent with Basic authorization to the URL without the credentials, for webhook and Alertmanager alike', async () => {
    const seen: { url: string | undefined; headers: IncomingHttpHeaders }[] = [];
    const server = createServer((req, res) => {
      seen.push({ url: req.url, headers: req.headers });
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const config = parseConfig({
        notify: {
          receivers: [
            { name: 'hook', type: 'webhook', url: `http://ops:p%40ss@127.0.0.1:${port}/hook?x=1` },
            { name: 'am', type: 'alertmanager', url: `http://am:secret@127.0.0.1:${port}/` },
          ],
        },
      });
      const [hook, am] = config.notify.receivers;
      expect(await sendToReceiver(hook!, 'k1', '{}', Date.now())).toEqual({ kind: 'delivered', status: 200 });
      expect(await sendToReceiver(am!, 'k2', '[]', Date.now())).toEqual({ kind: 'delivered', status: 200 });
      expect(seen.map((s) => [s.url, s.headers['authorization']])).toEqual([
        ['/hook?x=1', `Basic ${Buffer.from('ops:p@ss').toString('base64')}`],
        ['/api/v2/alerts', `Basic ${Buffer.from('am:secret').toString('base64')}`],
      ]);
    } finally {
      server.close();
    }
  });
});
