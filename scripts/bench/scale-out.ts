// Scenario 6 — scale-out (MariaDB/MySQL only): the burst of scenario 2 again, on the same database and
// tasks, with two scheduler processes instead of one. Every run of the slot is counted per task: a
// task with two runs for one slot is a claim that failed to be exclusive.
import type { Knex } from 'knex';
import { log, round, target, type BenchOptions, type ScenarioResult } from './helpers.js';
import { burstWarmUpMs, runBurst, type BurstOutcome } from './burst.js';

export async function scaleOutScenario(o: BenchOptions, knex: Knex, databaseUrl: string, ids: number[], one: BurstOutcome): Promise<ScenarioResult> {
  const two = await runBurst(knex, databaseUrl, ids, 2, burstWarmUpMs(o));
  const speedUp = round(two.runsPerSec / one.runsPerSec);
  log(`mysql: two instances ${two.runsPerSec} runs/s vs one ${one.runsPerSec} (×${speedUp}); ${two.duplicates} slots ran twice; split ${JSON.stringify(two.perInstance)}`);
  return {
    scenario: '6. scale-out',
    db: 'mysql',
    figures: {
      'runs/s, one instance': one.runsPerSec,
      'runs/s, two instances': two.runsPerSec,
      'speed-up two/one': speedUp,
      'lateness p99 ms, two instances': two.latenessP99Ms,
      'runs of the slot': two.runs,
      'slots that ran twice': two.duplicates,
      'runs per instance': Object.values(two.perInstance).join(' / '),
    },
    targets: [target('slots that ran twice', two.duplicates, '<', 1), target('every due task ran', two.runs === ids.length ? 1 : 0, '>=', 1)],
    notes: [`${ids.length} tasks due at one second; both instances share this machine's cores with the site and the database`],
  };
}
