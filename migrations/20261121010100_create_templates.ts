import type { Knex } from 'knex';
import { createTable, userReference } from '../src/db/schema-helpers.js';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'templates', (t) => {
    t.increments('id').primary();
    userReference(t);
    t.string('name', 100).notNullable();
    t.string('site_url', 2048).nullable();
    t.text('note').nullable();
    t.boolean('public').notNullable().defaultTo(false);
    t.text('log_template').nullable();
    // JSON. Secret variables keep their default encrypted (see src/db/secret-box.ts).
    t.text('variables').notNullable();
    t.text('steps', 'mediumtext').notNullable();
    t.integer('step_count').notNullable(); // for lists, which do not read the steps
    t.integer('copied_from').unsigned().nullable(); // the public template this one was copied from
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['user_id', 'id'], 'templates_user_id');
    t.index(['public', 'id'], 'templates_public');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('templates');
}
