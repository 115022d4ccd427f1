import type { Knex } from 'knex';

// The dashboard's 7-day success rate: a page of tasks' finished runs since a week ago.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('task_runs', (t) => {
    t.index(['task_id', 'finished_at'], 'task_runs_task_finished');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('task_runs', (t) => {
    t.dropIndex(['task_id', 'finished_at'], 'task_runs_task_finished');
  });
}
