import type { INamespace } from 'protobufjs';

/**
 * The subset of the OTLP protobuf schema (opentelemetry-proto v1) that
 * promptpilot reads, as protobufjs reflection JSON.
 *
 * @remarks Field numbers and wire types are the OTLP specification's wire
 * contract and must never change; names are the lowerCamelCase JSON names, so
 * a decoded protobuf message walks exactly like an OTLP/JSON body. Fields the
 * mappers do not read are left out: protobuf decoders skip unknown fields, so
 * a full request decodes unchanged in what is read. Data points of metric
 * kinds the daemon does not ingest (gauge, sum, exponential histogram,
 * summary) decode as empty {@link OPAQUE} messages: only their number matters
 * (they are reported as skipped). Response messages are complete.
 */
const OPAQUE = 'Opaque';

const repeated = (type: string, id: number): { rule: 'repeated'; type: string; id: number } => ({ rule: 'repeated', type, id });
const field = (type: string, id: number): { type: string; id: number } => ({ type, id });

/** Protobufjs reflection JSON for `opentelemetry.proto.{collector,trace,metrics,common,resource}.v1` (read subset). */
export const OTLP_SCHEMA: INamespace = {
  nested: {
    otlp: {
      nested: {
        [OPAQUE]: { fields: {} },
        AnyValue: {
          oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
          fields: {
            stringValue: field('string', 1),
            boolValue: field('bool', 2),
            intValue: field('int64', 3),
            doubleValue: field('double', 4),
            arrayValue: field('ArrayValue', 5),
            kvlistValue: field('KeyValueList', 6),
            bytesValue: field('bytes', 7),
          },
        },
        ArrayValue: { fields: { values: repeated('AnyValue', 1) } },
        KeyValueList: { fields: { values: repeated('KeyValue', 1) } },
        KeyValue: { fields: { key: field('string', 1), value: field('AnyValue', 2) } },
        Resource: { fields: { attributes: repeated('KeyValue', 1), droppedAttributesCount: field('uint32', 2) } },
        InstrumentationScope: { fields: { name: field('string', 1), version: field('string', 2), attributes: repeated('KeyValue', 3) } },

        // opentelemetry/proto/trace/v1/trace.proto
        StatusCode: { values: { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 } },
        Status: { fields: { message: field('string', 2), code: field('StatusCode', 3) } },
        Span: {
          fields: {
            traceId: field('bytes', 1),
            spanId: field('bytes', 2),
            parentSpanId: field('bytes', 4),
            name: field('string', 5),
            kind: field('int32', 6),
            startTimeUnixNano: field('fixed64', 7),
            endTimeUnixNano: field('fixed64', 8),
            attributes: repeated('KeyValue', 9),
            status: field('Status', 15),
          },
        },
        ScopeSpans: { fields: { scope: field('InstrumentationScope', 1), spans: repeated('Span', 2), schemaUrl: field('string', 3) } },
        ResourceSpans: { fields: { resource: field('Resource', 1), scopeSpans: repeated('ScopeSpans', 2), schemaUrl: field('string', 3) } },

        // opentelemetry/proto/metrics/v1/metrics.proto
        AggregationTemporality: { values: { AGGREGATION_TEMPORALITY_UNSPECIFIED: 0, AGGREGATION_TEMPORALITY_DELTA: 1, AGGREGATION_TEMPORALITY_CUMULATIVE: 2 } },
        HistogramDataPoint: {
          fields: {
            startTimeUnixNano: field('fixed64', 2),
            timeUnixNano: field('fixed64', 3),
            count: field('fixed64', 4),
            sum: field('double', 5),
            bucketCounts: repeated('fixed64', 6),
            explicitBounds: repeated('double', 7),
            attributes: repeated('KeyValue', 9),
            flags: field('uint32', 10),
            min: field('double', 11),
            max: field('double', 12),
          },
        },
        Histogram: { fields: { dataPoints: repeated('HistogramDataPoint', 1), aggregationTemporality: field('AggregationTemporality', 2) } },
        Gauge: { fields: { dataPoints: repeated(OPAQUE, 1) } },
        Sum: { fields: { dataPoints: repeated(OPAQUE, 1), aggregationTemporality: field('AggregationTemporality', 2), isMonotonic: field('bool', 3) } },
        ExponentialHistogram: { fields: { dataPoints: repeated(OPAQUE, 1), aggregationTemporality: field('AggregationTemporality', 2) } },
        Summary: { fields: { dataPoints: repeated(OPAQUE, 1) } },
        Metric: {
          oneofs: { data: { oneof: ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] } },
          fields: {
            name: field('string', 1),
            description: field('string', 2),
            unit: field('string', 3),
            gauge: field('Gauge', 5),
            sum: field('Sum', 7),
            histogram: field('Histogram', 9),
            exponentialHistogram: field('ExponentialHistogram', 10),
            summary: field('Summary', 11),
          },
        },
        ScopeMetrics: { fields: { scope: field('InstrumentationScope', 1), metrics: repeated('Metric', 2), schemaUrl: field('string', 3) } },
        ResourceMetrics: { fields: { resource: field('Resource', 1), scopeMetrics: repeated('ScopeMetrics', 2), schemaUrl: field('string', 3) } },

        // opentelemetry/proto/collector/{trace,metrics}/v1/*_service.proto
        ExportTraceServiceRequest: { fields: { resourceSpans: repeated('ResourceSpans', 1) } },
        ExportTracePartialSuccess: { fields: { rejectedSpans: field('int64', 1), errorMessage: field('string', 2) } },
        ExportTraceServiceResponse: { fields: { partialSuccess: field('ExportTracePartialSuccess', 1) } },
        ExportMetricsServiceRequest: { fields: { resourceMetrics: repeated('ResourceMetrics', 1) } },
        ExportMetricsPartialSuccess: { fields: { rejectedDataPoints: field('int64', 1), errorMessage: field('string', 2) } },
        ExportMetricsServiceResponse: { fields: { partialSuccess: field('ExportMetricsPartialSuccess', 1) } },
      },
    },
  },
};
