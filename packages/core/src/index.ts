// Pure domain logic: no bindings, no I/O. Used by the Worker, the Durable Objects and scripts alike.
export * from './auth';
