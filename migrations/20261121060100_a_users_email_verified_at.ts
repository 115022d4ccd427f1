import type { Knex } from 'knex';

// When the user proved they read mail at their address; null: not (yet) verified. Existing accounts
// start unverified: nobody ever proved their address.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.bigInteger('email_verified_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => t.dropColumn('email_verified_at'));
}
