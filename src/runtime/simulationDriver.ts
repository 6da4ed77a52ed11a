import type { SchedulerLike, Subscription } from 'rxjs';
import type { ExperimentService } from '../app/experimentService.js';
import { parseDurationMs } from '../config/duration.js';
import type { Config } from '../config/schema.js';
import type { Clock, Ingestor } from '../ports/ports.js';
import { createSimulator, serveAssignment } from '../sim/index.js';
import { idleTicks } from '../streams/idleTicks.js';
import type { IngestRecorder } from '../telemetry/index.js';
import type { Logger } from './logger.js';

/** Drives the built-in traffic simulator: event time runs `speedup` times faster than the wall clock, never past it. */
export function startSimulation(config: Config, clock: Clock, scheduler: SchedulerLike, ingestor: Ingestor, log: Logger, experiments: ExperimentService, recorder: IngestRecorder): Subscription {
  const offset = config.simulator.start_offset;
  const offsetMs = (offset.startsWith('-') ? -1 : 1) * (parseDurationMs(offset.replace(/^[-+]/, '')) ?? 0);
  const wallStart = clock.now();
  const simStart = wallStart + offsetMs;
  // The simulated app follows the daemon's assignment for every call, as a real app
  // following GET /v1/assign would: experiments get traffic and promotions take effect.
  const simulator = createSimulator(config.simulator, simStart, {
    serve: (request) => serveAssignment(experiments.assign(request.route, request.unit), request),
  });
  const simLog = log.child({ component: 'simulator' });
  simLog.info({ routes: config.simulator.routes.map((r) => r.route), speedup: config.simulator.speedup, start: new Date(simStart).toISOString() }, 'traffic simulator started');
  let busy = false;
  return idleTicks(200, scheduler).subscribe(() => {
    if (busy) return;
    const now = clock.now();
    const until = Math.min(now, simStart + (now - wallStart) * config.simulator.speedup);
    const events = simulator.eventsUntil(until);
    if (events.length === 0) return;
    busy = true;
    ingestor
      .submit(events)
      .then((outcome) => recorder.record('simulator', outcome.accepted, outcome.errors))
      .catch((err: unknown) => simLog.error({ err }, 'simulated batch failed'))
      .finally(() => {
        busy = false;
      });
  });
}
