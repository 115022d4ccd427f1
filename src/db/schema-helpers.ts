// Shared by migrations: tables are created the same way on SQLite and MySQL/MariaDB.
import type { Knex } from 'knex';

/** Creates a table; on MySQL/MariaDB with utf8mb4 and InnoDB whatever the server's defaults are. */
export function createTable(knex: Knex, name: string, build: (t: Knex.CreateTableBuilder) => void) {
  return knex.schema.createTable(name, (t) => {
    if (knex.client.config.client === 'mysql2') {
      t.engine('InnoDB');
      t.charset('utf8mb4');
      t.collate('utf8mb4_bin');
    }
    build(t);
  });
}

/** A foreign key to users.id that goes away with its user. */
export function userReference(t: Knex.CreateTableBuilder, column = 'user_id') {
  return t.integer(column).unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
}
