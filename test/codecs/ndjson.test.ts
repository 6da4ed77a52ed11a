import { describe, expect, it } from 'vitest';
import type { TelemetryEvent } from '../../src/core/event.js';
import { NdjsonEventDecoder, type LineRejection } from '../../src/codecs/ndjson.js';

describe('NdjsonEventDecoder', () => {
  it('decodes across arbitrary chunk boundaries with line numbers for bad lines', () => {
    const text = [
      '{"ts":1,"route":"r","variant":"v","latency_ms":5}',
      '',
      '{not json',
      '{"ts":2,"route":"r","variant":"v"}',
      '{"ts":3,"route":"r","variant":"v","latency_ms":6}\r',
      '{"ts":4,"route":"r","variant":"v","latency_ms":7}',
    ].join('\n');
    for (const size of [1, 7, 64, text.length]) {
      const decoder = new NdjsonEventDecoder();
      const events: TelemetryEvent[] = [];
      const errors: LineRejection[] = [];
      for (let i = 0; i < text.length; i += size) decoder.push(text.slice(i, i + size), events, errors);
      decoder.end(events, errors);
      expect(events.map((e) => e.ts)).toEqual([1, 3, 4]);
      expect(errors.map((e) => [e.line, e.field])).toEqual([[3, '(line)'], [4, 'latency_ms']]);
      expect(decoder.lines).toBe(6);
    }
  });
});

describe('NdjsonEventDecoder and byte-order marks (regression, found in review)', () => {
  it('a UTF-8 BOM before the first line is not part of its JSON', () => {
    const decoder = new NdjsonEventDecoder();
    const events: TelemetryEvent[] = [];
    const errors: LineRejection[] = [];
    decoder.push('\uFEFF{"ts":1,"route":"r","variant":"v","latency_ms":5}\n{"ts":2,"route":"r","variant":"v","latency_ms":6}\n', events, errors);
    decoder.end(events, errors);
    expect(errors).toEqual([]);
    expect(events.map((e) => e.ts)).toEqual([1, 2]);
  });
});
