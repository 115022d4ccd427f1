import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tasks', (t) => {
    t.text('random_delay').nullable(); // JSON {min, max} seconds
    // Set while a run of the task is under way (claimed by the scheduler or a manual run), so a task
    // never runs twice at once; the slot it was claimed for decides the next one.
    t.bigInteger('running_since').nullable();
    t.integer('running_run_id').unsigned().nullable();
    t.bigInteger('claimed_slot_at').nullable();
    t.string('next_trigger', 8).notNullable().defaultTo('auto'); // auto | retry
    t.string('disabled_by', 16).nullable(); // user | failures: only the latter is undone by a manual success
  });
  await knex.schema.alterTable('task_runs', (t) => {
    t.string('lease_owner', 100).nullable();
    t.bigInteger('lease_expires_at').nullable();
    t.index(['status', 'lease_expires_at'], 'task_runs_status_lease');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('task_runs', (t) => {
    t.dropIndex(['status', 'lease_expires_at'], 'task_runs_status_lease');
    t.dropColumn('lease_owner');
    t.dropColumn('lease_expires_at');
  });
  await knex.schema.alterTable('tasks', (t) => {
    for (const c of ['random_delay', 'running_since', 'running_run_id', 'claimed_slot_at', 'next_trigger', 'disabled_by']) t.dropColumn(c);
  });
}
