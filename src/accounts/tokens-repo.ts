// SQL for API tokens. Only the SHA-256 of a token is stored.
import type { Knex } from 'knex';

export type ApiToken = {
  id: number;
  userId: number;
  name: string;
  hint: string;
  createdAt: number;
  lastUsedAt: number | null;
};

type TokenRow = {
  id: number;
  user_id: number;
  name: string;
  token_hash: string;
  token_hint: string;
  created_at: number | string;
  last_used_at: number | string | null;
};

function toToken(row: TokenRow): ApiToken {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    name: row.name,
    hint: row.token_hint,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  };
}

export function tokensRepo(knex: Knex) {
  const tokens = () => knex<TokenRow>('api_tokens');
  return {
    async insert(input: { userId: number; name: string; hash: string; hint: string; now: number }): Promise<number> {
      const [id] = await tokens().insert({
        user_id: input.userId,
        name: input.name,
        token_hash: input.hash,
        token_hint: input.hint,
        created_at: input.now,
      });
      return Number(id);
    },

    async findByHash(hash: string): Promise<ApiToken | undefined> {
      const row = await tokens().where({ token_hash: hash }).first();
      return row && toToken(row);
    },

    async listForUser(userId: number): Promise<ApiToken[]> {
      return (await tokens().where({ user_id: userId }).orderBy('id', 'desc')).map(toToken);
    },

    /** Deletes one of the user's tokens; false when the user has no such token. */
    async deleteForUser(userId: number, id: number): Promise<boolean> {
      return (await tokens().where({ id, user_id: userId }).delete()) > 0;
    },

    /** Records use, at most once a minute per token, so API calls do not each cost a write. */
    async markUsed(id: number, now: number): Promise<void> {
      await tokens()
        .where({ id })
        .andWhere((q) => q.whereNull('last_used_at').orWhere('last_used_at', '<', now - 60_000))
        .update({ last_used_at: now });
    },
  };
}

export type TokensRepo = ReturnType<typeof tokensRepo>;
