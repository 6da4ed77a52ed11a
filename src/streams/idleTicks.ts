import { asyncScheduler, defer, interval, map, type Observable, type SchedulerLike } from 'rxjs';
import type { PipelineInput } from './pipelineInput.js';

/**
 * Idle clock: every `periodMs` of scheduler time, a tick carrying the time
 * elapsed since the previous one. Idle routes' watermarks follow it.
 */
export function idleTicks(periodMs: number, scheduler: SchedulerLike = asyncScheduler): Observable<PipelineInput> {
  // The clock starts at subscription (not creation): a late or second subscriber never gets
  // the time before it subscribed as elapsed.
  return defer(() => {
    let last = scheduler.now();
    return interval(periodMs, scheduler).pipe(
      map(() => {
        const now = scheduler.now();
        const elapsedMs = now - last;
        last = now;
        return { kind: 'tick', elapsedMs } as const;
      }),
    );
  });
}
