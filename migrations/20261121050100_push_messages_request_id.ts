import type { Knex } from 'knex';

// The request that caused a message (a manual run's click), so its delivery log lines carry its id.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('push_messages', (t) => {
    t.string('request_id', 64).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('push_messages', (t) => t.dropColumn('request_id'));
}
