import type { Knex } from 'knex';
import { createTable, userReference } from '../src/db/schema-helpers.js';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'api_tokens', (t) => {
    t.increments('id').primary();
    userReference(t);
    t.string('name', 100).notNullable();
    t.string('token_hash', 64).notNullable().unique(); // sha256 hex; the token itself is shown once
    t.string('token_hint', 16).notNullable(); // the first characters, so people can tell tokens apart
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_used_at').nullable();
    t.index(['user_id'], 'api_tokens_user_id');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('api_tokens');
}
