import type { Knex } from 'knex';
import { createTable } from '../src/db/schema-helpers.js';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'users', (t) => {
    t.increments('id').primary();
    t.string('email', 254).notNullable().unique(); // stored lower-cased
    t.string('password_hash', 255).notNullable();
    t.string('role', 16).notNullable().defaultTo('user'); // admin | user
    t.string('status', 16).notNullable().defaultTo('active'); // active | disabled
    t.string('locale', 16).nullable(); // null: from the browser
    t.string('timezone', 64).nullable(); // null: the site's DEFAULT_TIMEZONE
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.bigInteger('last_login_at').nullable();
    t.index(['role', 'status'], 'users_role_status');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('users');
}
