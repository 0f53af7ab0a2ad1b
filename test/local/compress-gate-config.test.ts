import { resolveGateSettings } from '../../lib/settings';
import { compressGateConfig } from '../../local/run';

describe('compressGateConfig', () => {
  it('GIVEN an escalation cap and a quiet window WHEN a run compresses Outreach time 60× THEN both shrink with it', () => {
    const { gate } = resolveGateSettings({ maxEscalatedCooldownSeconds: 600 });
    const config = { ...gate, cooldown: { ...gate.cooldown, quietWindowMs: 120_000 } };
    const { cooldown } = compressGateConfig(config, 60);
    expect([cooldown.maxEscalatedWaitMs, cooldown.quietWindowMs]).toEqual([10_000, 2_000]);
  });

  it('GIVEN neither is set THEN neither appears (their defaults follow the compressed default wait)', () => {
    const { gate } = resolveGateSettings();
    const { cooldown } = compressGateConfig({ ...gate, cooldown: { defaultWaitMs: 60_000 } }, 60);
    expect(cooldown).toEqual({ defaultWaitMs: 1_000 });
  });
});
