import { DurableObject } from 'cloudflare:workers';

/** Per-tenant live state: hibernating WebSockets, rolling windows, recent events ring. */
export class TenantHub extends DurableObject<Env> {}
