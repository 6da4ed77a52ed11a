import { ConfigSchema, type Config } from '../config/schema.js';
import { decodeRequestJson, decodeTraceRequestProto, SpanMapper } from './otlp/index.js';
import type { MessageProblem, OtlpTraceDecoder } from './messageDecoder.js';

/** How many span rejections one dead-letter reason lists before summarizing. */
const LISTED_REJECTIONS = 3;

/**
 * Builds the decoder for the OTLP spans topic from the OTLP adapter: protobuf
 * `ExportTraceServiceRequest` bytes (the Collector Kafka exporter's
 * `otlp_proto` encoding, its default) or OTLP/JSON (`otlp_json`), spans mapped
 * with the same attribute names as OTLP/HTTP.
 *
 * A message with rejected spans yields one problem (so it is dead-lettered
 * once, whole): the first bad span's field, and a message listing the first
 * few rejections. Its good spans still become events.
 */
export function createOtlpTraceDecoder(
  attributes: Config['otlp']['attributes'] = ConfigSchema.parse({}).otlp.attributes,
  defaultVariant?: (route: string) => string,
): OtlpTraceDecoder {
  const mapper = new SpanMapper(defaultVariant === undefined ? { attributes } : { attributes, defaultVariant });
  return (payload, encoding) => {
    const decoded = encoding === 'protobuf' ? decodeTraceRequestProto(payload) : decodeRequestJson(payload, 'resourceSpans');
    if (!decoded.ok) return { events: [], skipped: 0, problems: [{ field: '(message)', message: decoded.reason }] };
    const mapping = mapper.map(decoded.request);
    const problems: MessageProblem[] = [];
    const first = mapping.rejected[0];
    if (first !== undefined) {
      const listed = mapping.rejected.slice(0, LISTED_REJECTIONS).map((r) => `span ${r.index}: ${r.field}: ${r.message}`);
      const more = mapping.rejected.length > LISTED_REJECTIONS ? `; and ${mapping.rejected.length - LISTED_REJECTIONS} more` : '';
      problems.push({ field: first.field, message: `${mapping.rejected.length} of ${mapping.spans} spans rejected (${listed.join('; ')}${more})` });
    }
    return { events: mapping.events, skipped: mapping.skipped, problems };
  };
}
