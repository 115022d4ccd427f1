import type { Knex } from 'knex';

// The delivery history's chart: a user's messages of the last 14 days by status, read from the index alone.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('push_messages', (t) => {
    t.index(['user_id', 'created_at', 'status'], 'push_messages_user_created_status');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('push_messages', (t) => {
    t.dropIndex(['user_id', 'created_at', 'status'], 'push_messages_user_created_status');
  });
}
