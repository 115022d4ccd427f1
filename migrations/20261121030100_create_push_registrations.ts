import type { Knex } from 'knex';
import { createTable, userReference } from '../src/db/schema-helpers.js';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'push_registrations', (t) => {
    t.increments('id').primary();
    userReference(t);
    t.string('channel', 32).notNullable(); // a ChannelType
    t.string('name', 100).notNullable();
    // The whole channel config as JSON, encrypted with the secret box: which fields are secret is the
    // channel's business, and a URL with a token in it is as secret as a token field.
    t.text('config_enc').notNullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    t.bigInteger('last_sent_at').nullable();
    t.text('last_error').nullable();
    t.bigInteger('last_error_at').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['user_id', 'id'], 'push_registrations_user_id');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('push_registrations');
}
