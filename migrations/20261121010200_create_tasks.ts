import type { Knex } from 'knex';
import { createTable, userReference } from '../src/db/schema-helpers.js';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'tasks', (t) => {
    t.increments('id').primary();
    userReference(t);
    // A template in use cannot be deleted (the service says which tasks use it).
    t.integer('template_id').unsigned().notNullable().references('id').inTable('templates').onDelete('RESTRICT');
    t.string('name', 100).notNullable();
    t.string('group_name', 100).nullable();
    t.text('note').nullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    t.string('disabled_reason', 1000).nullable();
    // Encrypted JSON: the task's variables and the values earlier runs persisted.
    t.text('variables_enc').notNullable();
    t.text('persisted_enc').nullable();
    t.text('schedule').notNullable(); // JSON
    t.text('retry').notNullable(); // JSON
    t.text('push').notNullable(); // JSON
    t.bigInteger('next_run_at').nullable();
    t.integer('version').notNullable().defaultTo(0);
    t.integer('consecutive_failures').notNullable().defaultTo(0);
    t.integer('success_count').notNullable().defaultTo(0);
    t.integer('failure_count').notNullable().defaultTo(0);
    t.bigInteger('last_success_at').nullable();
    t.bigInteger('last_failure_at').nullable();
    t.integer('last_run_id').unsigned().nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['user_id', 'id'], 'tasks_user_id');
    t.index(['template_id'], 'tasks_template_id');
    t.index(['next_run_at'], 'tasks_next_run_at');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('tasks');
}
