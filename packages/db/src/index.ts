export * from './client';
export * from './migrator';
export * from './queries/events';
export * from './queries/health';
export * from './queries/principals';
export * as schema from './schema';
