import type { Knex } from 'knex';
import { createTable, userReference } from '../src/db/schema-helpers.js';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'task_runs', (t) => {
    t.increments('id').primary();
    t.integer('task_id').unsigned().notNullable().references('id').inTable('tasks').onDelete('CASCADE');
    userReference(t); // the owner, so that every run query is scoped without a join
    t.string('trigger', 16).notNullable(); // manual | auto | retry
    t.string('status', 16).notNullable(); // running | success | failure | lost
    t.bigInteger('started_at').notNullable();
    t.bigInteger('finished_at').nullable();
    t.integer('duration_ms').nullable();
    t.text('log').nullable();
    t.text('error').nullable();
    t.integer('failed_step').nullable(); // 1-based
    t.text('steps', 'mediumtext').nullable(); // JSON, bodies truncated, secrets masked
    t.index(['task_id', 'id'], 'task_runs_task_id');
    t.index(['user_id', 'id'], 'task_runs_user_id');
    t.index(['started_at'], 'task_runs_started_at');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('task_runs');
}
