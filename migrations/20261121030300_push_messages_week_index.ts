import type { Knex } from 'knex';

// The registrations list shows each one's deliveries of the last 7 days.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('push_messages', (t) => {
    t.index(['registration_id', 'created_at'], 'push_messages_registration_created');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('push_messages', (t) => {
    t.dropIndex(['registration_id', 'created_at'], 'push_messages_registration_created');
  });
}
