import { monitorEventLoopDelay, performance, PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import type { Meter } from '@opentelemetry/api';
import { getHeapStatistics } from 'node:v8';

const NS_PER_S = 1e9;
const US_PER_S = 1e6;

const GC_KINDS: Readonly<Record<number, string>> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** Handle to stop the runtime probes (event-loop histogram, GC observer). */
export interface RuntimeMetrics {
  stop(): void;
}

/**
 * Process and Node.js runtime metrics from `process` and `node:perf_hooks`,
 * named the way Prometheus client libraries name them: resident memory, V8
 * heap, CPU seconds, start time, event-loop delay (quantiles since the
 * previous collection) and GC pauses by kind.
 */
export function registerRuntimeMetrics(meter: Meter, startTimeMs: number = performance.timeOrigin): RuntimeMetrics {
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();

  const rss = meter.createObservableGauge('process_resident_memory_bytes', { description: 'Resident set size.', unit: 'By' });
  const heapUsed = meter.createObservableGauge('nodejs_heap_used_bytes', { description: 'V8 heap in use.', unit: 'By' });
  const heapTotal = meter.createObservableGauge('nodejs_heap_total_bytes', { description: 'V8 heap allocated.', unit: 'By' });
  const heapLimit = meter.createObservableGauge('nodejs_heap_size_limit_bytes', { description: 'V8 heap limit (--max-old-space-size, derived from limits.memory_budget_bytes by `promptpilot run`).', unit: 'By' });
  const external = meter.createObservableGauge('nodejs_external_memory_bytes', { description: 'Memory of C++ objects bound to JavaScript objects (buffers included).', unit: 'By' });
  const cpu = meter.createObservableCounter('process_cpu_seconds', { description: 'User and system CPU time spent.', unit: 's' });
  const start = meter.createObservableGauge('process_start_time_seconds', { description: 'Start time of the process since the Unix epoch.', unit: 's' });
  const delayP50 = meter.createObservableGauge('nodejs_eventloop_delay_p50_seconds', { description: 'Event-loop delay median since the previous collection.', unit: 's' });
  const delayP99 = meter.createObservableGauge('nodejs_eventloop_delay_p99_seconds', { description: 'Event-loop delay p99 since the previous collection.', unit: 's' });
  const delayMax = meter.createObservableGauge('nodejs_eventloop_delay_max_seconds', { description: 'Longest event-loop delay since the previous collection.', unit: 's' });
  meter.addBatchObservableCallback(
    (result) => {
      const memory = process.memoryUsage();
      result.observe(rss, memory.rss);
      result.observe(heapUsed, memory.heapUsed);
      result.observe(heapTotal, memory.heapTotal);
      result.observe(external, memory.external);
      result.observe(heapLimit, getHeapStatistics().heap_size_limit);
      const usage = process.cpuUsage();
      result.observe(cpu, (usage.user + usage.system) / US_PER_S);
      result.observe(start, startTimeMs / 1000);
      if (loopDelay.count > 0) {
        result.observe(delayP50, loopDelay.percentile(50) / NS_PER_S);
        result.observe(delayP99, loopDelay.percentile(99) / NS_PER_S);
        result.observe(delayMax, loopDelay.max / NS_PER_S);
      }
      loopDelay.reset();
    },
    [rss, heapUsed, heapTotal, heapLimit, external, cpu, start, delayP50, delayP99, delayMax],
  );

  const gc = meter.createHistogram('nodejs_gc_duration_seconds', {
    description: 'Garbage-collection pauses by kind.',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.001, 0.01, 0.1, 1, 2, 5] },
  });
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
      gc.record(entry.duration / 1000, { kind: GC_KINDS[entry.detail?.kind ?? -1] ?? 'other' });
    }
  });
  observer.observe({ entryTypes: ['gc'] });

  return {
    stop() {
      observer.disconnect();
      loopDelay.disable();
    },
  };
}
