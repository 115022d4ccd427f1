// The naive baseline of scenario 3: one node-cron timer per task in one process, nothing else.
import cron from 'node-cron';
import { DAY, MB } from './helpers.js';
import { idleFor, type Idle, type Ready, type ToChild } from './processes.js';

/**
 * `tasks` node-cron timers, each for one instant 1 to 7 days ahead (minute, hour, day of month,
 * month), like the tasks in Chime's database: nothing falls due while it is measured.
 */
export async function cronProcess(tasks: number) {
  const send = (m: Ready | Idle) => process.send!(m);
  const now = Date.now();
  const timers: unknown[] = [];
  for (let i = 0; i < tasks; i++) {
    const at = new Date(now + DAY + Math.floor(Math.random() * 6 * DAY));
    const expression = `${at.getUTCMinutes()} ${at.getUTCHours()} ${at.getUTCDate()} ${at.getUTCMonth() + 1} *`;
    timers.push(cron.schedule(expression, () => {}, { timezone: 'UTC', name: `task-${i}` }));
  }
  process.on('message', async (m: ToChild) => {
    if (m.do === 'idle') send(await idleFor(m.seconds));
    else process.exit(0);
  });
  send({ ready: true, rssMb: process.memoryUsage().rss / MB });
}
