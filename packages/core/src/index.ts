// Pure domain logic: no bindings, no I/O. Used by the Worker, the Durable Objects and scripts alike.
export * from './auth';
export * from './bounded-gunzip';
export * from './ddsketch';
export * from './event-schema';
export * from './prometheus';
export * from './rolling-windows';
export * from './token-bucket';
export * from './uuidv7';
