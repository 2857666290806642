// Placeholder: replaced by the real service setup (Redis, Postgres) shortly.
export default async function setup(): Promise<void> {}
