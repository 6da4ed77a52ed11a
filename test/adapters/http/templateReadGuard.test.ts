import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../../../src/daemon.js';
import { startTestDaemon } from '../../helpers/daemon.js';

const ROUTES = { support: { variants: [{ name: 'v1', pattern: 'few_shot', template: 'Secret prompt: answer {{q}} briefly.' }] } };
let daemon: Daemon | null = null;
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
});

const get = async (path: string, token?: string): Promise<{ status: number; body: string }> => {
  const res = await fetch(`${daemon!.url}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.text() };
};

const TEMPLATE_READS = ['/v1/assign?route=support&unit=u1', '/v1/experiments', '/v1/experiments/exp-none', '/v1/routes/support/variants', '/v1/decisions'];

describe('server.protect_templates', () => {
  it('off (the default): reads that show templates are open', async () => {
    daemon = (await startTestDaemon({ routes: ROUTES, server: { api_token: 'tok' } })).daemon;
    const assign = await get('/v1/assign?route=support&unit=u1');
    expect(assign.status).toBe(200);
    expect(assign.body).toContain('Secret prompt');
  });

  it('on: every read that can show a template needs the bearer token; other reads and probes stay open', async () => {
    daemon = (await startTestDaemon({ routes: ROUTES, server: { api_token: 'tok', protect_templates: true } })).daemon;
    for (const path of TEMPLATE_READS) {
      const refused = await get(path);
      expect({ path, status: refused.status }).toEqual({ path, status: 401 });
      expect(refused.body).not.toContain('Secret prompt');
      expect({ path, status: (await get(path, 'wrong')).status }).toEqual({ path, status: 401 });
      expect({ path, status: (await get(path, 'tok')).status }).not.toEqual({ path, status: 401 });
    }
    expect((await get('/v1/assign?route=support&unit=u1', 'tok')).body).toContain('Secret prompt');
    for (const path of ['/healthz', '/readyz', '/metrics', '/v1/routes']) expect({ path, status: (await get(path)).status }).toEqual({ path, status: 200 });
  });

  it('on without a token: those reads are refused (403), never open', async () => {
    daemon = (await startTestDaemon({ routes: ROUTES, server: { protect_templates: true } })).daemon;
    const refused = await get('/v1/routes/support/variants');
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('PROMPTPILOT_API_TOKEN');
  });
});
