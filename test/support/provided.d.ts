// Values provided by ./global-setup.ts, read in tests with `inject('redisUrl')` etc.
export {};

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    postgresAdminUrl: string;
  }
}
