import type { Knex } from 'knex';
import { createTable, userReference } from '../src/db/schema-helpers.js';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'push_messages', (t) => {
    t.increments('id').primary();
    userReference(t);
    t.integer('registration_id').unsigned().notNullable().references('id').inTable('push_registrations').onDelete('CASCADE');
    t.string('event', 32).notNullable(); // task.success | task.failure | task.disabled | task.recovered | digest
    // No foreign keys: the history outlives purged runs and deleted tasks; pages link while they exist.
    t.integer('task_id').unsigned().nullable();
    t.integer('run_id').unsigned().nullable();
    t.string('title', 500).notNullable();
    t.text('body', 'mediumtext').notNullable(); // a digest can outgrow MySQL's 64 KB TEXT
    t.text('data', 'mediumtext').nullable(); // JSON: the event's data for webhook-like channels
    t.string('status', 16).notNullable(); // queued | sending | sent | failed
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('next_attempt_at').nullable(); // set while queued
    t.text('last_error').nullable();
    t.string('lease_owner', 100).nullable();
    t.bigInteger('lease_expires_at').nullable();
    t.string('dedup_key', 191).nullable().unique({ indexName: 'push_messages_dedup_key' });
    t.bigInteger('created_at').notNullable();
    t.bigInteger('sent_at').nullable();
    t.index(['status', 'next_attempt_at'], 'push_messages_status_next'); // the dispatcher's claim and the reaper
    t.index(['user_id', 'id'], 'push_messages_user_id'); // the history page
    t.index(['registration_id', 'id'], 'push_messages_registration_id');
    t.index(['registration_id', 'sent_at'], 'push_messages_registration_sent'); // the per-minute rate limit
    t.index(['created_at'], 'push_messages_created_at'); // the retention purge
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('push_messages');
}
