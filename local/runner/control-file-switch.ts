import type { LaneSwitch } from '../../lambdas/monitor/ports';
import type { Lane } from '../../lambdas/shared/names';
import { readPausedLanes, writePausedLanes } from '../local-run-file';

/**
 * The monitor's {@link LaneSwitch} for a local run: a lane's mapping is disabled while the run's control file
 * lists it, as `outreach-gate pause --local` lists it (the runner reads the file before each receive).
 */
export class ControlFileMappingSwitch implements LaneSwitch {
  constructor(private readonly controlFile: string) {}

  async setEnabled(lane: Lane, enabled: boolean): Promise<void> {
    const paused = readPausedLanes(this.controlFile);
    writePausedLanes(this.controlFile, enabled ? paused.filter((each) => each !== lane) : [...paused, lane]);
  }
}
