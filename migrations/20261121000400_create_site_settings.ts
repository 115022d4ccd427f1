import type { Knex } from 'knex';
import { createTable } from '../src/db/schema-helpers.js';

export async function up(knex: Knex): Promise<void> {
  // One row per setting (JSON value); a missing row means the default in code.
  await createTable(knex, 'site_settings', (t) => {
    t.string('key', 64).primary();
    t.text('value').notNullable();
    t.bigInteger('updated_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('site_settings');
}
