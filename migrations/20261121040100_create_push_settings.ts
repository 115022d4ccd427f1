import type { Knex } from 'knex';
import { createTable } from '../src/db/schema-helpers.js';

export async function up(knex: Knex): Promise<void> {
  // One row per user who saved push settings; a user without one has the SEMANTICS §4 defaults.
  await createTable(knex, 'push_settings', (t) => {
    t.integer('user_id').unsigned().primary().references('id').inTable('users').onDelete('CASCADE');
    t.text('defaults').notNullable(); // JSON PushDefaults (event switches, threshold, repeat, recovery, registrations, templates)
    t.boolean('digest_enabled').notNullable().defaultTo(false);
    t.string('digest_first_at', 8).notNullable().defaultTo('08:00:00'); // HH:MM:SS in the digest's time zone
    t.integer('digest_interval_seconds').notNullable().defaultTo(86400);
    t.string('digest_timezone', 64).nullable(); // null: the user's
    t.text('digest_registration_ids').nullable(); // JSON int[]; null: all enabled
    // The digest's anchor: the end of the next window. Set only while the digest is on; the digest job
    // claims a due one by moving it forward in a compare-and-set.
    t.bigInteger('digest_next_at').nullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['digest_next_at'], 'push_settings_digest_next_at');
  });
  await knex.schema.alterTable('tasks', (t) => {
    // Whether the current failure streak has pushed a failure: "once" pushes only the first, and only
    // a streak that was pushed ends with a recovery notice.
    t.boolean('failure_pushed').notNullable().defaultTo(false);
  });
  await knex.schema.alterTable('push_messages', (t) => {
    t.text('html', 'mediumtext').nullable(); // an HTML rendering for email (the digest's table)
  });
  await knex.schema.alterTable('task_runs', (t) => {
    t.index(['user_id', 'finished_at'], 'task_runs_user_finished'); // the digest's window
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('task_runs', (t) => t.dropIndex(['user_id', 'finished_at'], 'task_runs_user_finished'));
  await knex.schema.alterTable('push_messages', (t) => t.dropColumn('html'));
  await knex.schema.alterTable('tasks', (t) => t.dropColumn('failure_pushed'));
  await knex.schema.dropTable('push_settings');
}
