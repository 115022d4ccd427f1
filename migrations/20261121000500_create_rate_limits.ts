import type { Knex } from 'knex';
import { createTable } from '../src/db/schema-helpers.js';

export async function up(knex: Knex): Promise<void> {
  // Failed-attempt counters (login, token creation), shared by every instance.
  await createTable(knex, 'rate_limits', (t) => {
    t.string('key', 191).primary();
    t.integer('hits').notNullable();
    t.bigInteger('reset_at').notNullable();
    t.index(['reset_at'], 'rate_limits_reset_at');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rate_limits');
}
