export { SpanMapper, type SpanMapping, type SpanMapperOptions, type OtlpAttributeNames } from './spanMapper.js';
export { HistogramMapper, GENAI_METRICS, type HistogramMapping, type HistogramMapperOptions } from './histogramMapper.js';
export {
  otlpTypes,
  decodeTraceRequestProto,
  decodeMetricsRequestProto,
  decodeRequestJson,
  encodeResponseProto,
  responseJson,
  type DecodeResult,
  type PartialSuccess,
} from './otlpProtobuf.js';
export { AttributeResolver, type AttributeSlot } from './attributeResolver.js';
