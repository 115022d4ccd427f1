import type { Knex } from 'knex';
import { createTable, userReference } from '../src/db/schema-helpers.js';

// Password reset links: only the SHA-256 of the token is kept; a link works once, before expires_at.
export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'password_resets', (t) => {
    t.increments('id').primary();
    userReference(t);
    t.string('token_hash', 64).notNullable().unique();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('used_at').nullable();
    t.index(['user_id'], 'password_resets_user_id');
    t.index(['expires_at'], 'password_resets_expires_at');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('password_resets');
}
