/**
 * Holds the SIGHUPs that arrive while `promptpilot run` starts, before the
 * daemon can reload: Node's default for SIGHUP ends the process, so a
 * `systemctl reload` (or `kill -HUP`) a moment after a start killed the daemon
 * silently (exit 129, not one log line). Created first thing in `run`;
 * {@link HangupHold.release} hands over to the handler that reloads.
 */
export class HangupHold {
  private held = 0;
  private readonly onHangup = (): void => {
    this.held++;
  };

  constructor() {
    process.on('SIGHUP', this.onHangup);
  }

  /** Stops holding and returns how many SIGHUPs arrived meanwhile. */
  release(): number {
    process.off('SIGHUP', this.onHangup);
    return this.held;
  }
}
