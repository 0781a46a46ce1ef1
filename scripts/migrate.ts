// Applies pending migrations to DATABASE_URL: `npm run db:migrate`.
import { MigrationHistoryMismatchError } from '@pulsestream/db/migrator';
import { migrateUrl } from './lib/migrations';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set');
  process.exit(2);
}
try {
  const result = await migrateUrl(url);
  console.log(
    `migrations: applied ${result.applied.length} (${result.applied.join(', ') || 'none'}), ${result.skipped.length} already applied`,
  );
} catch (err) {
  // A database migrated with the chain the baseline replaced: the message says what to do.
  if (!(err instanceof MigrationHistoryMismatchError)) throw err;
  console.error(err.message);
  process.exit(1);
}
