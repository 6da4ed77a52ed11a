import type { Config } from '../config/schema.js';

/** What a secret is replaced with wherever text leaves the process. */
export const REDACTED = '[redacted]';

/** `scheme://user:password@host` or `user:password@host`: the credentials part. */
const USERINFO = /^(?<scheme>[a-z][a-z0-9+.-]*:\/\/)?(?<userinfo>[^@/\s]*)@/i;

/**
 * An address with any credentials taken out, for messages and logs:
 * `redis://app:s3cret@cache:6379/0` → `redis://[redacted]@cache:6379/0`.
 */
export function redactAddress(address: string): string {
  const match = USERINFO.exec(address);
  if (match?.groups === undefined || match.groups['userinfo'] === '') return address;
  return `${match.groups['scheme'] ?? ''}${REDACTED}@${address.slice(match[0].length)}`;
}

function credentialsOf(address: string): string[] {
  const userinfo = USERINFO.exec(address)?.groups?.['userinfo'];
  if (userinfo === undefined || userinfo === '') return [];
  const colon = userinfo.indexOf(':');
  const password = colon >= 0 ? userinfo.slice(colon + 1) : userinfo;
  const out = [userinfo];
  if (password !== '') {
    out.push(password);
    try {
      const decoded = decodeURIComponent(password);
      if (decoded !== password) out.push(decoded);
    } catch {
      // not percent-encoded: the raw form is already listed
    }
  }
  return out;
}

function addressParts(address: string, withPath: boolean): string[] {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return [];
  }
  const parts = url.search.length > 1 ? [url.search.slice(1)] : [];
  if (withPath && url.pathname !== '/') parts.push(`${url.pathname}${url.search}`, url.pathname);
  return parts;
}

/**
 * Every secret the configuration holds: the API token, the SASL password,
 * credentials embedded in broker, Redis or receiver addresses, webhook signing
 * secrets, Slack webhook URLs (and their paths) and receiver query strings. Longest first, so a
 * password inside a longer userinfo is replaced as a whole.
 */
export function secretsOf(config: Config): string[] {
  const found = new Set<string>();
  if (config.server.api_token !== undefined) found.add(config.server.api_token);
  if (config.kafka.sasl !== undefined && config.kafka.sasl.password !== '') found.add(config.kafka.sasl.password);
  for (const address of [...config.kafka.brokers, ...(config.redis.url !== undefined ? [config.redis.url] : [])]) {
    for (const secret of credentialsOf(address)) found.add(secret);
  }
  for (const receiver of config.notify.receivers) {
    if (receiver.secret !== undefined) found.add(receiver.secret);
    // A Slack incoming-webhook URL is itself the credential; so may any receiver URL's userinfo be.
    if (receiver.type === 'slack') found.add(receiver.url);
    // …and so is its path alone (`/services/T…/B…/token`), which a refusing endpoint may echo; a query string may carry a token on any receiver.
    for (const part of addressParts(receiver.url, receiver.type === 'slack')) found.add(part);
    for (const secret of credentialsOf(receiver.url)) found.add(secret);
  }
  // A one- or two-character "secret" would shred every line; such a value protects nothing anyway.
  return [...found].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
}

/**
 * Replaces every secret it knows (also in its JSON-escaped form, as it appears
 * inside a JSON log line) with {@link REDACTED}. It only ever learns: a hot
 * reload that adds a receiver secret or a Slack URL {@link learn}s it before the
 * new config runs, and a secret a reload removed stays redacted, since lines
 * about work done under the old config may still be written.
 */
export class SecretRedactor {
  private readonly known = new Set<string>();
  private forms: readonly string[] = [];

  constructor(secrets: readonly string[] = []) {
    this.add(secrets);
  }

  /** Learns the secrets of a (reloaded) config. */
  learn(config: Config): void {
    this.add(secretsOf(config));
  }

  add(secrets: readonly string[]): void {
    const fresh = secrets.filter((s) => !this.known.has(s));
    if (fresh.length === 0) return;
    for (const secret of fresh) this.known.add(secret);
    this.forms = [...new Set([...this.known].flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))].sort((a, b) => b.length - a.length);
  }

  readonly scrub = (text: string): string => {
    let out = text;
    for (const form of this.forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
    return out;
  };
}

/** A function that replaces every listed secret with {@link REDACTED} (see {@link SecretRedactor}). */
export function secretScrubber(secrets: readonly string[]): (text: string) => string {
  return secrets.length === 0 ? (text) => text : new SecretRedactor(secrets).scrub;
}
