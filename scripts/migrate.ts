// Applies pending migrations to DATABASE_URL: `npm run db:migrate`.
import { migrateUrl } from './lib/migrations';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set');
  process.exit(2);
}
const result = await migrateUrl(url);
console.log(
  `migrations: applied ${result.applied.length} (${result.applied.join(', ') || 'none'}), ${result.skipped.length} already applied`,
);
