import type { Knex } from 'knex';
import { createTable } from '../src/db/schema-helpers.js';

// Admin actions and security events. No foreign keys: an entry outlives the users it names.
export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'audit_log', (t) => {
    t.increments('id').primary();
    t.bigInteger('at').notNullable();
    t.integer('actor_user_id').unsigned().nullable(); // null: the system, the CLI or an anonymous visitor
    t.string('action', 64).notNullable();
    t.string('target_type', 32).nullable();
    t.integer('target_id').unsigned().nullable();
    t.string('ip', 64).nullable();
    t.text('detail').nullable(); // small JSON, never a secret
    // Pages go newest first by id; the filter by action pages the same way.
    t.index(['action', 'id'], 'audit_log_action_id');
    t.index(['actor_user_id', 'id'], 'audit_log_actor_id');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_log');
}
