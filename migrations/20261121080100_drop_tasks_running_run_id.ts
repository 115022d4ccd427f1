import type { Knex } from 'knex';

// tasks.running_run_id was written at every claim and read nowhere: the run under way is the task's
// run whose status is `running`. Dropping it saves a statement per claim on the scheduler's hot path.
// A plain ALTER on both databases (SQLite ≥ 3.35 drops a column in place; knex would copy the table).
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table `tasks` drop column `running_run_id`');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tasks', (t) => {
    t.integer('running_run_id').unsigned().nullable();
  });
}
